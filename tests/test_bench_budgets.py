"""``benchmarks/bench_budgets.py``: what one training at a budget takes, per network and dataset size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smallnets_edu import budget
from tests.helpers import load_script

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_budgets.py"


@pytest.fixture(scope="module")
def bench():
    return load_script(BENCH, "bench_budgets")


def test_projects_each_networks_own_recipe_at_each_size(bench, tmp_path: Path, capsys) -> None:
    out = tmp_path / "times.json"
    argv = ["--budget", "smoke", "--models", "squeezenet1_1", "mobilenet_v2", "--steps", "1"]
    argv += ["--datasets", "cifar100", "tinyimagenet", "--device", "cpu", "--out", str(out)]
    assert bench.main(argv) == 0
    result = json.loads(out.read_text())
    smoke = budget.get("smoke")
    assert result["budget"] == "smoke" and len(result["timings"]) == 4
    for row in result["timings"]:
        # The budget's own subset of the official sizes, and the network's own epochs (the published
        # SqueezeNets train three times the epochs at a short budget).
        assert row["train_images"] == smoke.train_size and row["test_images"] == smoke.test_size
        assert row["epochs"] == (3 * smoke.epochs if row["model"] == "squeezenet1_1" else smoke.epochs)
        assert row["variant"] == ("tiny" if row["dataset"] == "tinyimagenet" else "cifar")
        assert row["images_per_second"] > 0
        expected = row["setup_seconds"] + row["epochs"] * row["epoch_seconds"]
        assert row["projected_seconds"] == pytest.approx(expected)
        assert row["epoch_seconds"] >= row["train_images"] / row["images_per_second"]
    table = capsys.readouterr().out
    assert "| squeezenet1_1 | 3 × 512 |" in table and "tinyimagenet: time" in table


def test_accuracy_trains_the_whole_budget_on_the_offline_set(bench, tmp_path: Path, capsys) -> None:
    out = tmp_path / "times.json"
    argv = ["--budget", "smoke", "--models", "effnet", "--steps", "1", "--datasets", "cifar10"]
    argv += ["--accuracy", "--sides", "64", "--device", "cpu", "--out", str(out)]
    assert bench.main(argv) == 0
    (row,) = json.loads(out.read_text())["accuracy"]
    assert row["dataset"] == "shapes 64x64 (512 / 256)" and row["epochs"] == 1
    assert 0.0 <= row["test_acc"] <= 1.0 and row["seconds"] > 0
    assert "| effnet | shapes 64x64 (512 / 256) | 1 |" in capsys.readouterr().out


def test_a_time_limit_stops_before_the_next_training(bench, tmp_path: Path) -> None:
    out = tmp_path / "times.json"
    argv = ["--budget", "smoke", "--models", "effnet", "squeezenet1_1", "--steps", "1"]
    argv += ["--datasets", "cifar10", "--max-seconds", "0", "--device", "cpu", "--out", str(out)]
    assert bench.main(argv) == 0
    assert json.loads(out.read_text())["timings"] == []
