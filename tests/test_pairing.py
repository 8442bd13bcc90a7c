"""Every lesson has its notebook, and the two hold the same cells."""

import jupytext
import pytest

from smallnets_edu import pairing, reference


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


def test_output_policy_keeps_reference_outputs_of_tagged_cells_only():
    import nbformat

    nb = nbformat.v4.new_notebook()
    keep = nbformat.v4.new_code_cell(
        "1", outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "1"})]
    )
    timed = nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output("stream", text="3.2 s")])
    fresh = nbformat.v4.new_code_cell("u", outputs=[nbformat.v4.new_output("stream", text="9.9 s")])
    for cell in (timed, fresh):
        cell.metadata["tags"] = [pairing.VARIES_TAG]
    keep.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    nb.cells = [keep, timed, fresh]
    stored = [nbformat.v4.new_output("stream", text="1.0 s (reference)")]
    assert pairing.apply_output_policy(nb, {"t": stored}) == 2
    assert keep.outputs[0]["data"]["text/plain"] == "1"
    assert timed.outputs == stored  # the reference run's output, not this run's
    assert fresh.outputs == []  # never run at the reference budget: nothing stored
    assert "execution" not in keep.metadata  # timestamps would change the file on every run


def test_provenance_closes_every_varying_cell_with_output():
    import nbformat

    nb = nbformat.v4.new_notebook()
    shown = nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output("stream", text="3.2 s")])
    silent = nbformat.v4.new_code_cell("x = 1")
    plain = nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="1")])
    for cell in (shown, silent):
        cell.metadata["tags"] = [pairing.VARIES_TAG]
    nb.cells = [shown, silent, plain]
    line = reference.provenance("laptop", pairing.dataset_used(nb))
    assert pairing.add_provenance(nb, line) == 1
    assert shown.outputs[-1]["text"] == line + "\n"
    assert not silent.outputs and len(plain.outputs) == 1
    assert "laptop budget" in line and "torch" in line and "lesson's dataset" in line


def test_provenance_names_the_offline_sets_a_run_fell_back_to(monkeypatch, tmp_path):
    import nbformat
    from IPython import display as ipython_display

    from smallnets_edu import data

    def outputs_of(name: str) -> list:  # the notice box a notebook shows, as the notebook stores it
        shown = []
        monkeypatch.setattr(data, "_in_notebook", lambda: True)
        monkeypatch.setattr(ipython_display, "display", shown.append)
        data.for_lesson(name, budget="smoke", data_dir=tmp_path, download=False)
        return [nbformat.v4.new_output("display_data", data={"text/html": shown[0].data})]

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("d", outputs=outputs_of("cifar10"))]
    assert pairing.dataset_used(nb).startswith("offline 'shapes' data")
    nb.cells.append(nbformat.v4.new_code_cell("d", outputs=outputs_of("tinyimagenet")))
    assert "offline 'shapes' and 'shapes100' data" in pairing.dataset_used(nb)


@pytest.mark.parametrize("notebook", sorted(pairing.NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_carry_no_execution_timestamps(notebook):
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    stamped = [i for i, cell in enumerate(nb.cells) if "execution" in cell.metadata]
    assert not stamped, f"{notebook.name}: cells {stamped} keep timestamps; run `make notebooks`"


@pytest.mark.parametrize("lesson", pairing.lessons(), ids=lambda p: p.stem)
def test_stored_results_say_where_they_come_from(lesson):
    notebook = pairing.notebook_for(lesson)
    if not notebook.exists():
        pytest.skip("no notebook yet (reported by the pairing test)")
    for cell in jupytext.read(notebook).cells:
        if pairing.varies(cell) and cell.get("outputs"):
            last = cell.outputs[-1]
            assert last.get("text", "").startswith("[reference run: "), (
                f"{notebook.name}: a cell tagged {pairing.VARIES_TAG} stores output without its "
                f"provenance line; run `make reference`"
            )


def test_the_notebooks_command_outside_a_checkout_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pairing, "LESSONS", tmp_path / "site-packages" / "lessons")
    assert pairing.main([]) == 2
    err = capsys.readouterr().err
    assert "no lessons/ folder" in err and "checkout of the course" in err


def test_reference_run_rewrites_the_banner_with_the_time_just_recorded(tmp_path, monkeypatch):
    import nbformat

    monkeypatch.setattr(reference, "TIMES_FILE", tmp_path / "times.json")
    monkeypatch.setenv("SMALLNETS_BUDGET", "laptop")
    nb = nbformat.v4.new_notebook()
    banner = nbformat.v4.new_code_cell('print(reference.banner("03"))')
    other = nbformat.v4.new_code_cell("env.check()\nprint(reference.banner('03'))")
    for cell in (banner, other):
        cell.metadata["tags"] = [pairing.VARIES_TAG]
        cell.outputs = [nbformat.v4.new_output("stream", text="not been timed")]
    nb.cells = [other, banner]
    reference.record_time("03", "laptop", 90.0)
    assert pairing.refresh_banner(nb, "03")
    assert "1 min 30 s on the reference machine" in banner.outputs[0]["text"]
    assert other.outputs[0]["text"] == "not been timed"  # only a cell that prints the banner alone
