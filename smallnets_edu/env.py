"""What this machine offers the course: versions, device, budget, widgets frontend, data folder.

``check()`` is the first code a learner runs (lesson 00). It never fails: anything missing or too old
is listed under *problems*, each with what to do about it. Its output depends on the machine, so the
lesson's cell is tagged ``nbval-ignore-output``.
"""

from __future__ import annotations

import html
import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata

MIN_PYTHON = (3, 10)
DATA_ENV_VAR = "SMALLNETS_DATA"


@dataclass(frozen=True)
class Report:
    """The result of :func:`check`: rows of (what, value) and a list of problems."""

    rows: tuple[tuple[str, str], ...]
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __getitem__(self, key: str) -> str:
        for name, value in self.rows:
            if name == key:
                return value
        raise KeyError(f"no row {key!r}; rows are: {', '.join(name for name, _ in self.rows)}")

    def text(self) -> str:
        width = max(len(name) for name, _ in self.rows)
        lines = [f"{name:<{width}}  {value}" for name, value in self.rows]
        lines.append("")
        if self.ok:
            lines.append("All set: every lesson can run here.")
        else:
            lines += [f"Problem: {problem}" for problem in self.problems]
        return "\n".join(lines)

    __str__ = text

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='text-align:left;padding-right:1.5em'><b>{html.escape(name)}</b></td>"
            f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
            for name, value in self.rows
        )
        if self.ok:
            verdict = "<p style='color:#2E7D32'>✔ All set: every lesson can run here.</p>"
        else:
            items = "".join(f"<li>{html.escape(problem)}</li>" for problem in self.problems)
            verdict = f"<p style='color:#C44E52'>✘ Please fix before going on:</p><ul>{items}</ul>"
        return f"<table class='smallnets-env'>{rows}</table>{verdict}"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def device_description() -> tuple[str, str]:
    """(``"cuda"`` / ``"mps"`` / ``"cpu"``, a sentence about it) for the device the lessons will use."""
    import torch

    threads = torch.get_num_threads()
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        name = torch.cuda.get_device_name(0)
        return "cuda", f"cuda: {count} × {name} (CPU threads: {threads})"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps", f"mps: Apple GPU (CPU threads: {threads})"
    return "cpu", f"cpu: {threads} threads ({platform.processor() or platform.machine()})"


def data_dir() -> tuple[str, str]:
    """(the data folder, where that choice comes from)."""
    try:  # the data module owns the default; ask it when it offers one
        from . import data

        chooser = getattr(data, "data_dir", None)
        if callable(chooser):
            return str(chooser()), "smallnets_edu.data"
    except Exception:  # an unfinished or broken data module must not break the check
        pass
    value = os.environ.get(DATA_ENV_VAR, "").strip()
    if value:
        return os.path.abspath(os.path.expanduser(value)), f"${DATA_ENV_VAR}"
    return "the default of smallnets_edu.data", f"set ${DATA_ENV_VAR} to choose another"


def check() -> Report:
    """Versions, device, budget, widget frontend and data folder of this session, with any problems."""
    from . import budget

    problems: list[str] = []
    python = platform.python_version()
    if sys.version_info[:2] < MIN_PYTHON:
        problems.append(
            f"Python {python} is too old: the course needs {'.'.join(map(str, MIN_PYTHON))} or newer."
        )
    rows: list[tuple[str, str]] = [("Python", f"{python} ({sys.executable})")]
    for package in ("torch", "numpy", "matplotlib", "ipywidgets"):
        version = _version(package)
        rows.append((package, version or "not installed"))
        if version is None:
            problems.append(
                f"{package} is not installed: run `make install` (or `pip install -r requirements.txt`)."
            )

    try:
        _, device = device_description()
    except ImportError:
        device = "unknown (torch is missing)"
    rows.append(("device", device))

    env_value = os.environ.get(budget.ENV_VAR, "").strip()
    try:
        current = budget.current()
        where = f"${budget.ENV_VAR}={env_value}" if env_value else "default for this machine"
        size = "all" if current.train_size is None else f"{current.train_size:,}"
        rows.append(
            (
                "budget",
                f"{current.name} ({where}): {current.epochs} epoch(s) on {size} training images per run",
            )
        )
    except ValueError as error:
        rows.append(("budget", f"invalid: {env_value!r}"))
        problems.append(str(error))

    frontend = _version("jupyterlab_widgets")
    lab = _version("jupyterlab")
    rows.append(("jupyterlab", lab or "not installed"))
    rows.append(("jupyterlab_widgets", frontend or "not installed"))
    if frontend is None:
        problems.append(
            "jupyterlab_widgets (the frontend of ipywidgets) is not installed, so sliders will show as "
            "still pictures: run `make install`, then restart JupyterLab."
        )

    folder, source = data_dir()
    rows.append(("data folder", f"{folder} ({source})"))
    return Report(tuple(rows), tuple(problems))


__all__ = ["Report", "check", "data_dir", "device_description"]
