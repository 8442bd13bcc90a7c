"""The reference run's bookkeeping: lesson times, their scaling to this machine, provenance lines."""

import json

import pytest

from smallnets_edu import reference


def test_durations_read_as_people_say_them():
    assert reference.duration(42.4) == "42 s"
    assert reference.duration(185) == "3 min 5 s"
    assert reference.duration(3720) == "1 h 2 min"


def test_probe_takes_a_fraction_of_a_second():
    seconds = reference.probe_seconds()
    assert 0 < seconds < 5


def test_recorded_time_is_scaled_by_this_machines_probe(tmp_path, monkeypatch):
    times = tmp_path / "times.json"
    monkeypatch.setattr(reference, "TIMES_FILE", times)
    monkeypatch.setattr(reference, "probe_seconds", lambda: 0.1)
    reference.record_time("03", "laptop", 200.0, path=times)
    reference.record_time("04", "laptop", 50.0, probe=0.3, path=times)
    assert json.loads(times.read_text())["lessons"]["04"]["laptop"]["probe_seconds"] == 0.3
    saved = json.loads(times.read_text())["lessons"]["03"]["laptop"]
    assert saved["seconds"] == 200.0 and saved["probe_seconds"] == 0.1 and "torch" in saved["machine"]
    assert not times.with_suffix(".tmp").exists()
    monkeypatch.setattr(reference, "probe_seconds", lambda: 0.2)  # a machine half as fast
    seconds, record = reference.expected_seconds("03", "laptop")
    assert seconds == pytest.approx(400.0) and record == saved
    assert reference.expected_seconds("03", "smoke") is None
    assert reference.expected_seconds("05", "laptop") is None


def test_banner_names_the_budget_and_the_expected_time(tmp_path, monkeypatch):
    times = tmp_path / "times.json"
    monkeypatch.setattr(reference, "TIMES_FILE", times)
    monkeypatch.setenv("SMALLNETS_BUDGET", "laptop")
    assert "not been timed at the laptop budget" in reference.banner("05")
    monkeypatch.setattr(reference, "probe_seconds", lambda: 0.1)
    reference.record_time("05", "laptop", 150.0, path=times)
    text = reference.banner("05")
    assert text.startswith("budget: laptop") and "about 2 min 30 s on this machine" in text


def test_every_lesson_is_timed_at_the_smoke_and_laptop_budgets():
    from smallnets_edu import pairing

    recorded = reference.load_times()["lessons"]
    for lesson in pairing.lessons():
        key = lesson.stem[:2]
        missing = [b for b in ("smoke", "laptop") if b not in recorded.get(key, {})]
        assert not missing, f"lesson {key} has no recorded time at {missing}: run `make reference`"


def test_teacher_guide_shows_the_recorded_times():
    from smallnets_edu import pairing

    guide = pairing.GUIDE.read_text()
    block = reference.guide_block(pairing.lessons())
    assert block in guide, (
        "docs/teachers.md's lesson times differ from lesson_times.json: run `make reference`"
    )
    assert "| 03 MobileNet | CIFAR-10 (offline: shapes), Tiny-ImageNet (offline: shapes100, 64x64) |" in block
    assert "| 01 Convolutions, one variant at a time | none |" in block
    assert "not measured yet" in block  # no GPU has run the notebooks yet
    assert block in pairing.README.read_text(), "README's lesson table differs: run `make reference`"


def test_lesson_datasets_are_read_from_the_lessons_own_calls(tmp_path):
    lesson = tmp_path / "07_x.py"
    lesson.write_text('# Prose naming `data.for_lesson("cifar100")` is no training.\n'
                      'a = data.for_lesson("tinyimagenet")\nb = data.for_lesson( "cifar10", budget=b)\n'
                      'c = data.for_lesson("tinyimagenet")\n')  # fmt: skip
    assert reference.lesson_datasets([lesson]) == {
        "07": "Tiny-ImageNet (offline: shapes100, 64x64), CIFAR-10 (offline: shapes)"
    }


def test_every_notebook_stores_reference_results():
    import jupytext

    from smallnets_edu import pairing

    for lesson in pairing.lessons():
        notebook = pairing.notebook_for(lesson)
        cells = [c for c in jupytext.read(notebook).cells if pairing.varies(c)]
        stored = [c for c in cells if c.get("outputs")]
        assert stored, f"{notebook.name}: no result of the reference run is stored; run `make reference`"
