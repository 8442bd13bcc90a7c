"""Keeping lessons and notebooks in step: pairing, execution, the output policy and the reference run.

Lessons are written as jupytext percent scripts in ``lessons/``; learners open the paired notebooks
in ``notebooks/``. The output policy:

- cells whose output is deterministic (tables, shapes, diagrams) keep it, so the course reads well
  on a code host and nbval compares it strictly;
- cells whose output depends on time, hardware, randomness or data availability (training,
  latency, profiles) carry the tag ``nbval-ignore-output`` and keep the outputs of the **reference
  run** (``--reference``, ``make reference``): the notebooks run at the ``laptop`` budget, each such
  cell closing with one line that says where its numbers come from (:func:`reference.provenance`).

``python -m smallnets_edu notebooks`` re-pairs every notebook from its lesson (keeping outputs);
``--execute`` also runs them at the current budget (``make notebooks`` uses ``smoke``) and refreshes
the deterministic outputs only, keeping the reference outputs of the varying cells; ``--reference``
runs them and stores every output, and each lesson's time; ``--check`` only reports drift.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import reference as reference_run

VARIES_TAG = "nbval-ignore-output"
ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
NOTEBOOKS = ROOT / "notebooks"
FIX_COMMAND = "make pair"
GUIDE = ROOT / "docs" / "teachers.md"
README = ROOT / "README.md"


def lessons() -> list[Path]:
    """Every lesson script, in course order."""
    return sorted(LESSONS.glob("[0-9][0-9]_*.py"))


def notebook_for(lesson: Path) -> Path:
    return NOTEBOOKS / (lesson.stem + ".ipynb")


def _source_cells(nb) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in nb.cells]


def drift() -> list[str]:
    """Problems between lessons and notebooks, each with the command that fixes it."""
    import jupytext

    problems = []
    for lesson in lessons():
        notebook = notebook_for(lesson)
        if not notebook.exists():
            problems.append(f"{lesson.name} has no notebook {notebook.name}: run `{FIX_COMMAND}`")
            continue
        ours, theirs = _source_cells(jupytext.read(lesson)), _source_cells(jupytext.read(notebook))
        if ours != theirs:
            first = next(
                (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
                min(len(ours), len(theirs)),
            )
            problems.append(
                f"{notebook.name} differs from {lesson.name} (first at cell {first}; {len(ours)} cells in "
                f"the lesson, {len(theirs)} in the notebook): edit the lesson, then run `{FIX_COMMAND}`"
            )
    stems = {lesson.stem for lesson in lessons()}
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        if notebook.stem not in stems:
            problems.append(f"{notebook.name} has no lesson in lessons/: add lessons/{notebook.stem}.py")
    return problems


def pair(lesson: Path) -> Path:
    """Write the lesson's notebook from its text, keeping the outputs of cells that did not change."""
    import jupytext
    from jupytext.combine import combine_inputs_with_outputs

    notebook = notebook_for(lesson)
    nb = jupytext.read(lesson)
    if notebook.exists():
        nb = combine_inputs_with_outputs(nb, jupytext.read(notebook))
    jupytext.write(nb, notebook, fmt="ipynb")
    return notebook


def varies(cell) -> bool:
    return cell.cell_type == "code" and VARIES_TAG in cell.metadata.get("tags", [])


def apply_output_policy(nb, reference_outputs: dict[str, list] | None = None) -> int:
    """Give every varying cell the reference run's outputs (none if it has none); returns how many.

    ``reference_outputs`` maps a cell's source to its stored outputs. Every cell also loses its
    execution timestamps, which would change the file on every run.
    """
    reference_outputs = reference_outputs or {}
    replaced = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if varies(cell):
            # nbval refuses a cell with outputs and no execution count ("unrun reference cell").
            cell.outputs = reference_outputs.get(cell.source, [])
            if not cell.outputs:
                cell.execution_count = None
            replaced += 1
    return replaced


def reference_outputs(nb) -> dict[str, list]:
    """The stored outputs of a notebook's varying cells, by source."""
    return {cell.source: cell.outputs for cell in nb.cells if varies(cell) and cell.get("outputs")}


def dataset_used(nb) -> str:
    """Which data a run trained on: the offline stand-in if a cell showed the fallback notice."""
    text = json.dumps([cell.get("outputs", []) for cell in nb.cells]).replace("&#x27;", "'")
    found = [f"'{name}'" for name in ("shapes", "shapes100") if f"uses the offline '{name}' dataset" in text]
    if found:
        return f"offline {' and '.join(found)} data (the real datasets were not on disk)"
    if "Using the offline dataset" in text:
        return "offline 'shapes' data (the real dataset was not on disk)"
    return "the lesson's dataset as downloaded"


def add_provenance(nb, line: str) -> int:
    """Close every varying cell that printed something with ``line``; returns how many."""
    import nbformat

    marked = 0
    for cell in nb.cells:
        if varies(cell) and cell.outputs:
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=line + "\n"))
            marked += 1
    return marked


def refresh_banner(nb, lesson: str) -> bool:
    """Rewrite the stored output of the lesson's banner cell (``reference.banner``) from the times just
    recorded: the run itself printed it before its own time was known."""
    import nbformat

    for cell in nb.cells:
        if varies(cell) and cell.source.strip().startswith("print(reference.banner("):
            text = reference_run.banner(lesson) + "\n"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
            return True
    return False


def execute(
    notebook: Path, timeout: int = 1800, reference: bool = False, probe: float | None = None
) -> float:
    """Run a notebook top to bottom (in its folder), save it, and return the seconds it took.

    Without ``reference`` the varying cells keep the reference outputs already stored; with it they
    keep this run's outputs, each with its provenance line. Either way the lesson's time at the budget
    in force is recorded (:func:`reference.record_time`).
    """
    import jupytext
    from nbclient import NotebookClient

    from . import budget

    nb = jupytext.read(notebook)
    stored = reference_outputs(nb)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
        store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    name = budget.current().name
    reference_run.record_time(notebook.stem[:2], name, seconds, probe=probe)
    if reference:
        refresh_banner(nb, notebook.stem[:2])
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        add_provenance(nb, reference_run.provenance(name, dataset_used(nb)))
    else:
        apply_output_policy(nb, stored)
    jupytext.write(nb, notebook, fmt="ipynb")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smallnets_edu notebooks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("names", nargs="*", help="lesson names or numbers (default: all)")
    parser.add_argument("--execute", action="store_true", help="also run the notebooks and apply the policy")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="run the notebooks and keep every output, with its provenance and the lesson's time",
    )
    parser.add_argument("--check", action="store_true", help="only report lessons and notebooks that drifted")
    args = parser.parse_args(argv)
    if not LESSONS.is_dir():
        # An installed package (not a checkout of the course) has no lessons/ beside it.
        print(
            f"{parser.prog}: error: no lessons/ folder at {LESSONS}; this command works in a checkout of the "
            f"course (git clone, then make pair), not from an installed package",
            file=sys.stderr,
        )
        return 2
    if args.check:
        problems = drift()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    chosen = [
        lesson for lesson in lessons() if not args.names or any(lesson.stem.startswith(n) for n in args.names)
    ]
    if not chosen:
        print(f"no lesson matches {args.names}; lessons are: {[p.stem for p in lessons()]}", file=sys.stderr)
        return 2
    failed: list[str] = []
    # The machine's speed, measured once while it is idle, records every lesson's time.
    probe = reference_run.probe_seconds() if args.execute or args.reference else None
    for lesson in chosen:
        notebook = pair(lesson)
        print(f"paired   {lesson.relative_to(ROOT)} -> {notebook.relative_to(ROOT)}")
        if args.execute or args.reference:
            print(
                f"running  {notebook.name} at budget {os.environ.get('SMALLNETS_BUDGET', 'default')}",
                flush=True,
            )
            try:
                seconds = execute(notebook, reference=args.reference, probe=probe)
            except Exception as error:  # one broken notebook must not stop the others
                failed.append(notebook.name)
                print(f"FAILED   {notebook.name}: {str(error).strip().splitlines()[-1]}", flush=True)
                continue
            print(f"ran      {notebook.name} in {seconds:.0f} s", flush=True)
    for document in (GUIDE, README) if args.execute or args.reference else ():
        if reference_run.update_guide(document, lessons()):
            print(f"updated  the lesson times in {document.relative_to(ROOT)}")
    if failed:
        print(f"{len(failed)} notebook(s) failed and were left as they were: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
