"""The classroom kit: student copies of the notebooks.

The convention for exercises, as the lessons already write them: an exercise cell holds a placeholder
and the checker call, and learners replace the placeholder::

    answer = None  # e.g. {"pointwise"}
    lesson03.check_off_the_law(answer)

A worked answer, where a lesson gives one, goes in a cell of its own right after the exercise, tagged
``solution`` (in a lesson script: ``# %% tags=["solution"]``; markdown cells that explain the answer may
carry the tag too). Student copies drop every ``solution`` cell, keep the exercise cells with their
checkers, keep all markdown, and clear every output and the saved widget state, so learners run the
notebooks fresh. A solution cell must not be the only place a checker is called: the copy would lose
the checker, and ``student`` refuses with the cell to fix.

``python -m smallnets_edu.student_copies student`` writes ``student/NN_name.ipynb`` for every notebook in
``notebooks/`` (``make student`` runs it); pass lesson names or numbers to write only some.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

SOLUTION_TAG = "solution"
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
STUDENT = ROOT / "student"

_CHECKER_CALL = re.compile(r"\b(check_\w+)\s*\(")


class SolutionError(ValueError):
    """A notebook breaks the solution convention (a checker would be lost)."""


def is_solution(cell) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def _checkers(cells) -> set[str]:
    return {
        name
        for cell in cells
        if cell.get("cell_type") == "code"
        for name in _CHECKER_CALL.findall(_source(cell))
    }


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def strip_solutions(nb) -> int:
    """Remove the cells tagged ``solution`` from ``nb`` (in place); returns how many were removed.

    Raises :class:`SolutionError` if a checker is called only inside solution cells.
    """
    kept = [cell for cell in nb.cells if not is_solution(cell)]
    removed = [cell for cell in nb.cells if is_solution(cell)]
    lost = _checkers(removed) - _checkers(kept)
    if lost:
        where = [i for i, cell in enumerate(nb.cells) if is_solution(cell) and _checkers([cell]) & lost]
        raise SolutionError(
            f"the checker(s) {sorted(lost)} are called only in cells tagged {SOLUTION_TAG!r} "
            f"(cells {where}): put the placeholder and the checker call in an untagged exercise cell "
            "before the solution"
        )
    nb.cells = kept
    return len(removed)


def clear_outputs(nb) -> None:
    """Clear every code cell's outputs and execution count, and the notebook's saved widget state."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)


def student_copy(nb):
    """A copy of ``nb`` for learners: no solution cells, no outputs, markdown and checkers kept."""
    nb = copy.deepcopy(nb)
    strip_solutions(nb)
    clear_outputs(nb)
    return nb


def write_student_copies(notebooks: list[Path], out_dir: Path) -> list[tuple[Path, int]]:
    """Write a student copy of each notebook into ``out_dir``; returns (path, solutions removed) pairs.

    Every copy is made (and checked) before any is written: a notebook that breaks the convention
    leaves ``out_dir`` as it was.
    """
    import nbformat

    copies = []
    for notebook in notebooks:
        nb = nbformat.read(notebook, as_version=4)
        solutions = sum(is_solution(cell) for cell in nb.cells)
        try:
            student = student_copy(nb)
        except SolutionError as error:
            raise SolutionError(f"{notebook.name}: {error}") from None
        nbformat.validate(student)
        copies.append((out_dir / notebook.name, student, solutions))
    out_dir.mkdir(parents=True, exist_ok=True)
    for target, student, _ in copies:
        nbformat.write(student, target)
    return [(target, solutions) for target, _, solutions in copies]


def _student(args) -> int:
    notebooks = sorted(Path(args.notebooks).glob("[0-9][0-9]_*.ipynb"))
    chosen = [nb for nb in notebooks if not args.names or any(nb.stem.startswith(n) for n in args.names)]
    if not chosen:
        print(f"no notebook matches {args.names} in {args.notebooks}", file=sys.stderr)
        return 2
    try:
        written = write_student_copies(chosen, Path(args.out))
    except SolutionError as error:
        print(f"student copies not written: {error}", file=sys.stderr)
        return 1
    for target, solutions in written:
        print(f"student  {target}  ({solutions} solution cell(s) removed, outputs cleared)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smallnets_edu.student_copies", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser(
        "student", help="write student copies: solution cells removed, checkers kept, outputs cleared"
    )
    student.add_argument("names", nargs="*", help="lesson names or numbers (default: all)")
    student.add_argument("--notebooks", default=str(NOTEBOOKS), help="folder of the course notebooks")
    student.add_argument(
        "--out", default=str(STUDENT), help="folder for the student copies (default: student/)"
    )
    args = parser.parse_args(argv)
    return _student(args)


if __name__ == "__main__":
    raise SystemExit(main())
