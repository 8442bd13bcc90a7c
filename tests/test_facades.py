"""The gathering modules (``showdown``, ``compression``, ``diagrams``, ``memory``) and what they gather.

Each re-exports the public functions and classes of the modules that hold the code, as the very same
objects; every name that a lesson, an exercise or a test reads through one of them exists; and the
modules a subject is built on never import the ones built on top of them (the flow runs one way).
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "smallnets_edu"

# facade -> (modules it gathers, base modules that must not import the upper ones, upper modules)
FACADES = {
    "showdown": (
        [
            "studies.cache",
            "studies.costs",
            "studies.contest",
            "studies.pareto",
            "studies.operators",
            "studies.guidelines",
        ],
        ["studies.common", "studies.cache", "studies.costs", "studies.pareto"],
        ["studies.contest", "studies.operators", "studies.guidelines", "showdown"],
    ),
    "compression": (
        [
            "studies.pruning",
            "studies.quantization",
            "studies.bitstreams",
            "studies.codec",
            "cost_squeezenet",
            "drawing.fire",
        ],
        ["studies.pruning", "studies.bitstreams", "cost_squeezenet", "drawing.fire"],
        ["studies.quantization", "studies.codec", "compression"],
    ),
    "diagrams": (
        ["drawing.common", "drawing.wiring", "drawing.connectivity", "drawing.cost_explorer"],
        ["drawing.common", "drawing.wiring"],
        ["drawing.connectivity", "drawing.cost_explorer", "diagrams"],
    ),
    "memory": (
        [
            "activation_memory",
            "streamed_inference",
            "cost_mobilenet_v2",
            "activation_quantization",
            "drawing.inverted_residual",
        ],
        [
            "activation_memory",
            "streamed_inference",
            "cost_mobilenet_v2",
            "activation_quantization",
            "drawing.inverted_residual",
        ],
        ["memory", "diagrams", "compression"],
    ),
}


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


CASES = [(facade, module) for facade, (modules, _, _) in FACADES.items() for module in modules]


@pytest.mark.parametrize(("facade", "module"), CASES)
def test_the_facade_re_exports_every_public_function_and_class(facade, module):
    gathered, source = _module(facade), _module(module)
    for name, obj in vars(source).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != source.__name__:
            continue
        assert getattr(gathered, name, None) is obj, f"{facade}.{name} is not {source.__name__}.{name}"


@pytest.mark.parametrize("facade", FACADES)
def test_every_name_read_through_the_facade_exists(facade):
    gathered = _module(facade)
    assert all(hasattr(gathered, name) for name in gathered.__all__)
    files = [*ROOT.glob("lessons/*.py"), *ROOT.glob(f"{PACKAGE}/exercises/*.py"), *ROOT.glob("tests/*.py")]
    used = {
        node.attr
        for path in files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == facade
    }
    assert used, f"nothing reads through {facade}"
    assert sorted(name for name in used if not hasattr(gathered, name)) == []


@pytest.mark.parametrize("facade", FACADES)
def test_the_base_modules_do_not_import_what_is_built_on_them(facade):
    _, base, upper = FACADES[facade]
    code = "import sys\n" + "".join(f"import {PACKAGE}.{m}\n" for m in base)
    code += f"print([m for m in {upper!r} if '{PACKAGE}.' + m in sys.modules])\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_shared_state_is_one_object_wherever_it_is_read():
    from smallnets_edu import compression, cost_squeezenet, showdown
    from smallnets_edu.studies import cache

    assert showdown.cache_stats is cache.cache_stats  # one counter
    assert compression.squeezenet_cost is cost_squeezenet.squeezenet_cost  # one cache
