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
    saved = json.loads(times.read_text())["lessons"]["03"]["laptop"]
    assert saved["seconds"] == 200.0 and saved["probe_seconds"] == 0.1 and "torch" in saved["machine"]
    assert not times.with_suffix(".tmp").exists()
    monkeypatch.setattr(reference, "probe_seconds", lambda: 0.2)  # a machine half as fast
    seconds, record = reference.expected_seconds("03", "laptop")
    assert seconds == pytest.approx(400.0) and record == saved
    assert reference.expected_seconds("03", "smoke") is None
    assert reference.expected_seconds("04", "laptop") is None


def test_banner_names_the_budget_and_the_expected_time(tmp_path, monkeypatch):
    times = tmp_path / "times.json"
    monkeypatch.setattr(reference, "TIMES_FILE", times)
    monkeypatch.setenv("SMALLNETS_BUDGET", "laptop")
    assert "not been timed at the laptop budget" in reference.banner("05")
    monkeypatch.setattr(reference, "probe_seconds", lambda: 0.1)
    reference.record_time("05", "laptop", 150.0, path=times)
    text = reference.banner("05")
    assert text.startswith("budget: laptop") and "about 2 min 30 s on this machine" in text
