"""``benchmarks/bench_train.py --time-to-accuracy``: fit and the plain loop side by side on any dataset.

Runs the benchmark itself for a second or two per run on data the tests write in the official
formats (a prepared CIFAR-10 folder that is not the official archive, an image folder).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from smallnets_edu import budget, data
from tests.helpers import load_script
from tests.test_data_formats import _serve, build_cifar10, build_cifar100
from tests.test_reliability import write_image_folder

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_train.py"


@pytest.fixture(scope="module")
def bench():
    return load_script(BENCH, "bench_train")


def run(bench, tmp_path: Path, *argv: str) -> dict:
    out = tmp_path / "result.json"
    common = ["--time-to-accuracy", "--seconds", "1", "--seeds", "2", "--models", "mobilenet_v2"]
    common += ["--width", "0.25", "--batch-size", "10", "--fit-batch-size", "12", "--steps", "2"]
    common += ["--quiet", "--out", str(out)]
    assert bench.main([*common, *argv]) == 0
    return json.loads(out.read_text())


def check_rows(result: dict, classes: int, seeds: tuple[int, int] = (0, 1)) -> None:
    (row,) = result["rows"]
    assert row["model"] == "mobilenet_v2" and [r["seed"] for r in row["runs"]] == list(seeds)
    for run_ in row["runs"]:
        # The plain loop trained for the wall time fit took, no less.
        assert run_["plain"]["seconds"] >= run_["fit"]["seconds"]
        for key in ("fit", "plain"):
            assert 0.0 <= run_[key]["test_acc"] <= 1.0 and run_[key]["images_per_second"] > 0
        assert run_["fit"]["batch_size"] == 12  # --fit-batch-size reached fit
    mean, std = row["fit"]["test_acc"]
    accs = [r["fit"]["test_acc"] for r in row["runs"]]
    assert mean == pytest.approx(sum(accs) / 2) and std >= 0
    assert f"{classes} classes" in result["dataset"]


def test_a_prepared_cifar10_copy(bench, tmp_path):
    build_cifar10(tmp_path)
    prepared = tmp_path / "prepared"
    shutil.copytree(tmp_path / "build10", prepared)  # the unpacked folder only, no official archive
    result = run(bench, tmp_path, "--dataset", "cifar10", "--data-dir", str(prepared), "--no-verify")
    check_rows(result, 10)
    assert result["variant"] == "cifar" and "32x32" in result["dataset"]


def test_an_image_folder_at_64_pixels(bench, tmp_path, capsys):
    write_image_folder(tmp_path / "images", size=72)
    argv = ["--dataset", "imagefolder", "--data-dir", str(tmp_path / "images"), "--resolution", "64"]
    result = run(bench, tmp_path, *argv, "--first-seed", "5")
    check_rows(result, 3, seeds=(5, 6))  # a row's seeds can be added to later
    assert result["variant"] == "tiny" and "64x64" in result["dataset"]
    table = capsys.readouterr().out
    assert "| mobilenet_v2 |" in table and "fit - plain" in table


def test_seeds_are_checked(bench):
    for argv in (["--seeds", "0"], ["--first-seed", "-1"]):
        with pytest.raises(SystemExit):
            bench.main(["--time-to-accuracy", *argv])


def test_cifar100_many_classes(bench, tmp_path, monkeypatch):
    archive, files, _ = build_cifar100(tmp_path)
    _serve(monkeypatch, "cifar100", archive, "cifar-100-python", files)
    result = run(bench, tmp_path, "--dataset", "cifar100", "--data-dir", str(tmp_path / "data"))
    check_rows(result, 100)
    assert result["variant"] == "cifar"


def test_laptop_curves_on_an_image_folder(bench, tmp_path, capsys):
    write_image_folder(tmp_path / "images")
    out = tmp_path / "curves.json"
    argv = ["--laptop-curves", "--models", "squeezenet1_1", "--width", "0.25", "--batch-size", "12"]
    argv += ["--dataset", "imagefolder", "--data-dir", str(tmp_path / "images"), "--resolution", "32"]
    assert bench.main([*argv, "--seeds", "2", "--quiet", "--out", str(out)]) == 0
    (row,) = json.loads(out.read_text())["rows"]
    # The published SqueezeNet asks for three times the epochs at the short budgets.
    epochs = 3 * budget.get("laptop").epochs
    assert row["model"] == "squeezenet1_1" and len(row["test_acc"]) == epochs
    assert len(row["curves"]) == 2 and all(len(c) == epochs for c in row["curves"])
    finals = [c[-1] for c in row["curves"]]
    assert row["final_mean"] == pytest.approx(sum(finals) / 2)
    assert row["test_acc"][-1] == pytest.approx(row["final_mean"])
    assert "| squeezenet1_1 |" in capsys.readouterr().out


def test_the_many_class_offline_set_at_64_pixels(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "SHAPES100_SIZES", (300, 100))
    result = run(bench, tmp_path, "--dataset", "shapes100", "--resolution", "64")
    check_rows(result, 100)
    assert result["variant"] == "tiny" and "shapes100 (300 train / 100 test, 64x64" in result["dataset"]
