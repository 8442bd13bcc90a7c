"""Keeping lessons and notebooks in step: pairing, execution and the output policy.

Lessons are written as jupytext percent scripts in ``lessons/``; learners open the paired notebooks
in ``notebooks/``. The output policy:

- cells whose output is deterministic (tables, shapes, diagrams) keep it, so the course reads well
  on a code host and nbval compares it strictly;
- cells whose output depends on time, hardware, randomness or data availability (training,
  latency) carry the tag ``nbval-ignore-output`` and are committed without output.

``python -m smallnets_edu notebooks`` re-pairs every notebook from its lesson (keeping outputs);
``--execute`` also runs them at the current budget (``make notebooks`` uses ``smoke``) and applies
the policy; ``--check`` only reports drift.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

VARIES_TAG = "nbval-ignore-output"
ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
NOTEBOOKS = ROOT / "notebooks"
FIX_COMMAND = "make pair"


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


def apply_output_policy(nb) -> int:
    """Clear the outputs of cells tagged as varying; returns how many were cleared.

    Every cell also loses its execution timestamps, which would change the file on every run.
    """
    cleared = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and VARIES_TAG in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None
            cleared += 1
    return cleared


def execute(notebook: Path, timeout: int = 900) -> None:
    """Run a notebook top to bottom (in its folder) and save it with the output policy applied."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(notebook)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
        store_widget_state=True,
    )
    client.execute()
    apply_output_policy(nb)
    jupytext.write(nb, notebook, fmt="ipynb")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smallnets_edu notebooks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("names", nargs="*", help="lesson names or numbers (default: all)")
    parser.add_argument("--execute", action="store_true", help="also run the notebooks and apply the policy")
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
    for lesson in chosen:
        notebook = pair(lesson)
        print(f"paired   {lesson.relative_to(ROOT)} -> {notebook.relative_to(ROOT)}")
        if args.execute:
            print(
                f"running  {notebook.name} at budget {os.environ.get('SMALLNETS_BUDGET', 'default')}",
                flush=True,
            )
            execute(notebook)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
