"""The environment check: reports what is there, names problems with their fix, never raises."""

from importlib import metadata

import pytest
import torch

from smallnets_edu import budget, env


def test_rows_cover_what_the_welcome_lesson_promises():
    report = env.check()
    names = [name for name, _ in report.rows]
    for expected in ("Python", "torch", "numpy", "matplotlib", "ipywidgets", "device", "budget"):
        assert expected in names
    assert "jupyterlab_widgets" in names and "data folder" in names
    for package in ("torch", "numpy", "matplotlib", "ipywidgets"):
        assert report[package] == metadata.version(package)


def test_text_and_html_show_every_row():
    report = env.check()
    text, page = report.text(), report._repr_html_()
    assert repr(report) == str(report) == text
    for name, value in report.rows:
        assert name in text and value in text
        assert name in page


def test_unknown_row_names_the_rows():
    with pytest.raises(KeyError, match="rows are"):
        env.check()["gpu"]


def test_budget_row_follows_the_environment(monkeypatch):
    monkeypatch.setenv(budget.ENV_VAR, "smoke")
    row = env.check()["budget"]
    assert row.startswith("smoke") and f"${budget.ENV_VAR}=smoke" in row
    assert f"{budget.BUDGETS['smoke'].train_size:,}" in row


def test_invalid_budget_is_a_problem_not_an_exception(monkeypatch):
    monkeypatch.setenv(budget.ENV_VAR, "weekend")
    report = env.check()
    assert not report.ok and any("weekend" in p for p in report.problems)
    assert "Problem:" in report.text()


def test_missing_widget_frontend_is_a_problem_with_its_fix(monkeypatch):
    real = env._version
    monkeypatch.setattr(env, "_version", lambda name: None if name == "jupyterlab_widgets" else real(name))
    report = env.check()
    assert report["jupyterlab_widgets"] == "not installed"
    assert any("jupyterlab_widgets" in p and "make install" in p for p in report.problems)
    assert "Please fix" in report._repr_html_()


def test_data_folder_follows_smallnets_data(monkeypatch, tmp_path):
    monkeypatch.setenv(env.DATA_ENV_VAR, str(tmp_path))
    assert str(tmp_path) in env.check()["data folder"]


def test_device_is_cpu_here_and_cuda_is_described(monkeypatch):
    if not torch.cuda.is_available():
        kind, text = env.device_description()
        assert kind in ("cpu", "mps") and f"{torch.get_num_threads()}" in text
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Test GPU")
    kind, text = env.device_description()
    assert kind == "cuda" and "2 × Test GPU" in text


def test_html_is_escaped(monkeypatch):
    report = env.Report((("a<b>", "<script>"),))
    assert "<script>" not in report._repr_html_() and report.ok
