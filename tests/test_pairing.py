"""Every lesson has its notebook, and the two hold the same cells."""

import jupytext
import pytest

from smallnets_edu import pairing


def test_there_are_lessons():
    assert pairing.lessons(), "lessons/ holds no NN_name.py lesson"


@pytest.mark.parametrize("lesson", pairing.lessons(), ids=lambda p: p.stem)
def test_lesson_and_notebook_are_paired(lesson):
    notebook = pairing.notebook_for(lesson)
    assert notebook.exists(), f"{lesson.name} has no notebook: run `{pairing.FIX_COMMAND}`"
    ours = [(c.cell_type, c.source.strip()) for c in jupytext.read(lesson).cells]
    theirs = [(c.cell_type, c.source.strip()) for c in jupytext.read(notebook).cells]
    assert ours == theirs, f"{notebook.name} has drifted from {lesson.name}: run `{pairing.FIX_COMMAND}`"


def test_no_orphan_notebooks():
    assert not [p for p in pairing.drift() if "has no lesson" in p]


def test_drift_is_detected_and_names_the_fix(tmp_path, monkeypatch):
    lessons, notebooks = tmp_path / "lessons", tmp_path / "notebooks"
    lessons.mkdir(), notebooks.mkdir()
    (lessons / "00_demo.py").write_text("# %% [markdown]\n# Hello\n\n# %%\nx = 1\n")
    monkeypatch.setattr(pairing, "LESSONS", lessons)
    monkeypatch.setattr(pairing, "NOTEBOOKS", notebooks)
    assert any("has no notebook" in p and pairing.FIX_COMMAND in p for p in pairing.drift())
    pairing.pair(lessons / "00_demo.py")
    assert pairing.drift() == []
    (lessons / "00_demo.py").write_text("# %% [markdown]\n# Hello\n\n# %%\nx = 2\n")
    problems = pairing.drift()
    assert len(problems) == 1 and "differs" in problems[0] and pairing.FIX_COMMAND in problems[0]


def test_output_policy_clears_only_tagged_cells():
    import nbformat

    nb = nbformat.v4.new_notebook()
    keep = nbformat.v4.new_code_cell(
        "1", outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "1"})]
    )
    drop = nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output("stream", text="3.2 s")])
    drop.metadata["tags"] = [pairing.VARIES_TAG]
    keep.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    nb.cells = [keep, drop]
    assert pairing.apply_output_policy(nb) == 1
    assert keep.outputs and not drop.outputs
    assert "execution" not in keep.metadata  # timestamps would change the file on every run


@pytest.mark.parametrize("notebook", sorted(pairing.NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_carry_no_execution_timestamps(notebook):
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    stamped = [i for i, cell in enumerate(nb.cells) if "execution" in cell.metadata]
    assert not stamped, f"{notebook.name}: cells {stamped} keep timestamps; run `make notebooks`"


@pytest.mark.parametrize("lesson", pairing.lessons(), ids=lambda p: p.stem)
def test_varying_cells_are_committed_without_output(lesson):
    notebook = pairing.notebook_for(lesson)
    if not notebook.exists():
        pytest.skip("no notebook yet (reported by the pairing test)")
    for cell in jupytext.read(notebook).cells:
        if pairing.VARIES_TAG in cell.metadata.get("tags", []):
            assert not cell.get("outputs"), (
                f"{notebook.name}: a cell tagged {pairing.VARIES_TAG} kept its output"
            )


def test_the_notebooks_command_outside_a_checkout_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pairing, "LESSONS", tmp_path / "site-packages" / "lessons")
    assert pairing.main([]) == 2
    err = capsys.readouterr().err
    assert "no lessons/ folder" in err and "checkout of the course" in err
