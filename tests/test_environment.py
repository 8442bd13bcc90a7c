"""The pip requirements, the conda environment and the package metadata agree."""

import re
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _requirements() -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins.setdefault(_norm(req.name), set()).add(str(req.specifier))
    return pins


def _conda_pip() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {_norm(Requirement(r).name): str(Requirement(r).specifier) for r in pip_section}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_conda_environment_lists_the_same_packages_as_pip():
    pip, conda = _requirements(), _conda_pip()
    assert set(pip) == set(conda), (
        f"only in requirements.txt: {set(pip) - set(conda)}; only in environment.yml: {set(conda) - set(pip)}"
    )
    for name, spec in conda.items():
        assert spec in pip[name], f"{name}: environment.yml pins {spec}, requirements.txt {pip[name]}"


def test_every_requirement_is_pinned_exactly():
    for name, specs in _requirements().items():
        for spec in specs:
            assert spec.startswith("==") and "," not in spec, f"{name} must be pinned with ==, got {spec}"


def test_the_pinned_torch_is_the_one_installed_and_without_a_gpu_it_is_the_cpu_build():
    import torch

    assert _requirements()["torch"] == {"==2.13.0"}
    assert torch.__version__.split("+")[0] == "2.13.0"
    if not torch.cuda.is_available():
        # A CUDA build here would mean the install pulled several GB for nothing.
        assert torch.version.cuda is None, f"torch {torch.__version__} is a CUDA build without a GPU"


def test_package_dependencies_are_ranges_covered_by_the_pins():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(meta["dependencies"]) + [
        d for extra in meta["optional-dependencies"].values() for d in extra
    ]
    pins = _requirements()
    for line in declared:
        req = Requirement(line)
        assert not str(req.specifier).startswith("=="), f"{req.name}: pyproject keeps ranges, not pins"
        name = _norm(req.name)
        assert name in pins, f"{req.name} is a dependency but requirements.txt does not pin it"
        for spec in pins[name]:
            version = spec.removeprefix("==")
            assert req.specifier.contains(version), f"{req.name} {version} is outside {req.specifier}"
