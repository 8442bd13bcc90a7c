"""The reference run: where the stored results come from, and how long each lesson takes.

``make reference`` runs every notebook at the ``laptop`` budget (and at ``gpu`` where a CUDA GPU is
present), keeps the outputs of its training, latency and profiler cells, adds to each of them one line
saying where the numbers come from (:func:`provenance`), and records each lesson's wall time in
``lesson_times.json`` beside this module, with the speed of the machine on a fixed probe.

A lesson's first cell prints :func:`banner`: the budget in force and how long the lesson should take
here, the reference machine's time scaled by how fast this machine runs the probe (a few training steps
of a small convolutional network, the kind of work the lessons do).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import time
from pathlib import Path

from . import budget as budget_mod

TIMES_FILE = Path(__file__).with_name("lesson_times.json")
PROBE_STEPS = 10
PROBE_TRIES = 5


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """This machine in one phrase: cores, processor, torch build and GPU (if any)."""
    import torch

    cores = os.cpu_count() or 1
    parts = [f"{cores}-core {cpu_name()}", f"torch {torch.__version__}"]
    if torch.cuda.is_available():
        parts.append(torch.cuda.get_device_name(0))
    return ", ".join(parts)


def probe_seconds() -> float:
    """Seconds this machine takes for a fixed piece of training work (the best of five tries).

    Ten steps of a small convolutional network (three convolutions, batch 32, 32x32 inputs) on the CPU
    with torch's current threads: a proxy for the lessons' work. The best try is the machine's speed; the
    others met interruptions (a single try varied by up to 2x on an idle 2-core machine).
    """
    import torch
    from torch import nn

    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1, groups=32),
            nn.Conv2d(32, 64, 1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(64, 10),
        )
        x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        best = float("inf")
        for _ in range(PROBE_TRIES):
            start = time.perf_counter()
            for _ in range(PROBE_STEPS):
                optimizer.zero_grad()
                nn.functional.cross_entropy(net(x), y).backward()
                optimizer.step()
            best = min(best, time.perf_counter() - start)
    return best


def load_times(path: Path | None = None) -> dict:
    """The recorded lesson times: ``{"lessons": {"03": {"laptop": {...}}}}`` (empty if none yet)."""
    try:
        return json.loads((path or TIMES_FILE).read_text())
    except (OSError, ValueError):
        return {"lessons": {}}


def record_time(
    lesson: str, budget_name: str, seconds: float, probe: float | None = None, path: Path | None = None
) -> None:
    """Store how long ``lesson`` took at ``budget_name`` on this machine (written atomically).

    ``probe``: this machine's :func:`probe_seconds`, measured before the run (measured now if None).
    """
    import torch

    path = path or TIMES_FILE
    times = load_times(path)
    times.setdefault("lessons", {}).setdefault(lesson, {})[budget_name] = {
        "seconds": round(seconds, 1),
        "probe_seconds": round(probe_seconds() if probe is None else probe, 5),
        "threads": torch.get_num_threads(),
        "machine": machine(),
        "date": _dt.date.today().isoformat(),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``1 h 2 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def expected_seconds(lesson: str, budget_name: str | None = None) -> tuple[float, dict] | None:
    """How long ``lesson`` should take here at the budget, and the reference record it scales.

    None when the lesson has not been timed at that budget. On the CPU the reference time is scaled by
    this machine's probe against the reference machine's; a GPU run is not scaled.
    """
    name = budget_name or budget_mod.current().name
    record = load_times().get("lessons", {}).get(lesson, {}).get(name)
    if record is None:
        return None
    if name == "gpu":
        return record["seconds"], record
    return record["seconds"] * probe_seconds() / record["probe_seconds"], record


def banner(lesson: str) -> str:
    """What a lesson's first cell prints: the budget in force and the lesson's expected running time."""
    current = budget_mod.current()
    line = f"budget: {current.name} (each training below reads the budget in force when it runs)"
    found = expected_seconds(lesson, current.name)
    if found is None:
        return f"{line}\nthis lesson has not been timed at the {current.name} budget yet"
    seconds, record = found
    return (
        f"{line}\nrunning the whole lesson takes about {duration(seconds)} on this machine "
        f"({duration(record['seconds'])} on the reference machine: {record['machine']}, "
        f"{record['threads']} threads, {record['date']})"
    )


def provenance(budget_name: str, dataset: str) -> str:
    """The line the reference run adds under each result it stores."""
    today = _dt.date.today().isoformat()
    return (
        f"[reference run: {budget_name} budget, {dataset}, {machine()}, {today}; "
        f"your own run will differ with the machine, the seed and the data]"
    )


def times_table(
    lessons: dict[str, str],
    budgets: tuple[str, ...] = ("smoke", "laptop", "gpu"),
    datasets: dict[str, str] | None = None,
) -> str:
    """The teacher guide's table: each lesson's recorded time at each budget (markdown).

    ``lessons`` maps a lesson's number to its name (``{"03": "MobileNet"}``); ``datasets``, if given,
    to what it trains on (a column of its own). A missing time reads "not measured yet"; the last row
    adds up the lessons timed at every budget.
    """
    recorded = load_times().get("lessons", {})
    header = ["lesson", *(["trains on"] if datasets is not None else []), *(f"`{b}`" for b in budgets)]
    rows = [header, ["---"] * len(header)]
    totals = dict.fromkeys(budgets, 0.0)
    for key, name in lessons.items():
        row = [f"{key} {name}", *([datasets.get(key, "")] if datasets is not None else [])]
        for b in budgets:
            record = recorded.get(key, {}).get(b)
            row.append(duration(record["seconds"]) if record else "not measured yet")
            totals[b] += record["seconds"] if record else float("nan")
        rows.append(row)
    total = ["all", *([""] if datasets is not None else [])]
    total += [duration(t) if t == t else "" for t in totals.values()]  # NaN: some missing
    rows.append(total)
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def machines(budgets: tuple[str, ...] = ("smoke", "laptop", "gpu")) -> dict[str, set[str]]:
    """Which machines the recorded times at each budget were measured on."""
    found: dict[str, set[str]] = {b: set() for b in budgets}
    for per_budget in load_times().get("lessons", {}).values():
        for b, record in per_budget.items():
            found.setdefault(b, set()).add(f"{record['machine']}, {record['threads']} threads")
    return found


GUIDE_START = "<!-- lesson times: make reference writes this table -->"
GUIDE_END = "<!-- end of lesson times -->"


def lesson_names(lessons: list[Path]) -> dict[str, str]:
    """``{"03": "MobileNet"}``: each lesson's number and the title of its first heading, to the colon."""
    names = {}
    for lesson in lessons:
        heading = next((ln for ln in lesson.read_text().splitlines() if ln.startswith("# # ")), lesson.stem)
        title = heading.removeprefix("# # ").split("·", 1)[-1].split(":", 1)[0].strip()
        names[lesson.stem[:2]] = title
    return names


# What a lesson's ``data.for_lesson(...)`` trains on, with the offline set that stands in for it.
DATASET_TITLES = {
    "cifar10": "CIFAR-10 (offline: shapes)",
    "cifar100": "CIFAR-100 (offline: shapes100)",
    "tinyimagenet": "Tiny-ImageNet (offline: shapes100, 64x64)",
    "shapes": "shapes",
    "shapes100": "shapes100",
}


def lesson_datasets(lessons: list[Path]) -> dict[str, str]:
    """``{"03": "CIFAR-10 (offline: shapes), Tiny-ImageNet (...)"}``: the datasets each lesson loads
    with ``data.for_lesson``, read from its code (prose lines, which start with ``#`` in a percent
    script, are skipped), in order of first use; "none" for a lesson that trains nothing."""
    found = {}
    for lesson in lessons:
        code = "\n".join(ln for ln in lesson.read_text().splitlines() if not ln.lstrip().startswith("#"))
        names = re.findall(r"for_lesson\(\s*[\"']([a-z0-9]+)[\"']", code)
        titles = [DATASET_TITLES.get(name, name) for name in dict.fromkeys(names)]
        found[lesson.stem[:2]] = ", ".join(titles) or "none"
    return found


def guide_block(lessons: list[Path]) -> str:
    """The teacher guide's block of lesson times, between its two markers."""
    table = times_table(lesson_names(lessons), datasets=lesson_datasets(lessons))
    return f"{GUIDE_START}\n{table}\n{GUIDE_END}"


def update_guide(guide: Path, lessons: list[Path]) -> bool:
    """Rewrite the block of lesson times in ``guide``; False if the guide has no such block."""
    text = guide.read_text()
    start, end = text.find(GUIDE_START), text.find(GUIDE_END)
    if start < 0 or end < start:
        return False
    guide.write_text(text[:start] + guide_block(lessons) + text[end + len(GUIDE_END) :])
    return True
