"""Student copies: solution cells removed, exercise cells and their checkers kept, outputs cleared."""

from __future__ import annotations

import nbformat
import pytest

from smallnets_edu import student_copies

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _output(text: str):
    return nbformat.v4.new_output("execute_result", data={"text/plain": text}, execution_count=1)


def _lesson() -> nbformat.NotebookNode:
    """A small lesson written the way the course writes exercises, with a worked answer."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · A lesson\n\nA 1x1 convolution costs $C_{in} C_{out} H W$."),
        nbformat.v4.new_code_cell("macs = 3 * 8 * 32 * 32", outputs=[_output("24576")], execution_count=1),
        nbformat.v4.new_markdown_cell("**Exercise 1.** How many MACs for 16 output channels?"),
        nbformat.v4.new_code_cell(
            "answer = None  # a number of MACs\nlesson99.check_macs(answer)",
            outputs=[_output("… Not answered yet.")],
            execution_count=2,
        ),
        nbformat.v4.new_markdown_cell(
            "Worked answer: the cost is linear in the output channels.", metadata={"tags": ["solution"]}
        ),
        nbformat.v4.new_code_cell(
            "answer = 3 * 16 * 32 * 32\nlesson99.check_macs(answer)",
            metadata={"tags": ["solution", "nbval-ignore-output"]},
            outputs=[_output("✔ Correct.")],
            execution_count=3,
        ),
        nbformat.v4.new_code_cell("explorer", metadata={"tags": ["nbval-ignore-output"]}, execution_count=4),
    ]
    nb.cells[-1].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                WIDGET_VIEW: {"model_id": "m", "version_major": 2, "version_minor": 0},
                "text/plain": "Explorer(...)",
            },
        )
    ]
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {}, "version_major": 2, "version_minor": 0}}
    nbformat.validate(nb)
    return nb


def test_student_copy_drops_solutions_keeps_checkers_and_markdown_and_clears_outputs():
    teacher = _lesson()
    student = student_copies.student_copy(teacher)

    sources = [cell.source for cell in student.cells]
    assert not any(student_copies.is_solution(cell) for cell in student.cells)
    assert not any("3 * 16 * 32 * 32" in s or "Worked answer" in s for s in sources)
    assert "answer = None  # a number of MACs\nlesson99.check_macs(answer)" in sources
    assert [c.source for c in student.cells if c.cell_type == "markdown"] == [
        c.source for c in teacher.cells if c.cell_type == "markdown" and not student_copies.is_solution(c)
    ]
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in student.metadata
    nbformat.validate(student)
    # the teacher's notebook is untouched
    assert len(teacher.cells) == 7 and teacher.cells[1].outputs and "widgets" in teacher.metadata


def test_a_checker_called_only_in_a_solution_cell_is_refused():
    nb = _lesson()
    nb.cells[3].source = "answer = None  # a number of MACs"  # the exercise cell lost its checker call
    with pytest.raises(student_copies.SolutionError, match=r"check_macs.*cells \[5\]"):
        student_copies.strip_solutions(nb)


def test_command_writes_valid_student_notebooks(tmp_path, capsys):
    notebooks, out = tmp_path / "notebooks", tmp_path / "student"
    notebooks.mkdir()
    nbformat.write(_lesson(), notebooks / "99_lesson.ipynb")
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nbformat.write(other, notebooks / "98_other.ipynb")

    assert student_copies.main(["student", "99", "--notebooks", str(notebooks), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["99_lesson.ipynb"]
    assert "2 solution cell(s) removed" in capsys.readouterr().out
    written = nbformat.read(out / "99_lesson.ipynb", as_version=4)
    nbformat.validate(written)
    assert len(written.cells) == 5
    assert not any(cell.get("outputs") for cell in written.cells)

    assert student_copies.main(["student", "--notebooks", str(notebooks), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["98_other.ipynb", "99_lesson.ipynb"]
    assert student_copies.main(["student", "42", "--notebooks", str(notebooks), "--out", str(out)]) == 2


def test_command_reports_a_broken_convention_without_writing(tmp_path, capsys):
    notebooks, out = tmp_path / "notebooks", tmp_path / "student"
    notebooks.mkdir()
    nb = _lesson()
    nb.cells[3].source = "answer = None"
    nbformat.write(nb, notebooks / "99_lesson.ipynb")
    assert student_copies.main(["student", "--notebooks", str(notebooks), "--out", str(out)]) == 1
    assert "99_lesson.ipynb" in capsys.readouterr().err
    assert not out.exists()
