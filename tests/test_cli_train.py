"""``python -m smallnets_edu``: the command list, ``train`` end to end, and its handling of bad input.

The training runs use a small synthetic 32x32 dataset handed to the CLI in place of
``data.for_lesson`` (the data layer has its own tests); bad names go through the real one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest
import torch

from smallnets_edu import __main__ as cli_main
from smallnets_edu import data, models, train
from smallnets_edu.train import cli


def small_dataset() -> data.Dataset:
    g = torch.Generator().manual_seed(0)
    n_train, n_test = 64, 32
    images = torch.randint(0, 256, (n_train + n_test, 3, 32, 32), generator=g, dtype=torch.uint8)
    labels = torch.arange(n_train + n_test) % 4
    classes = ["w", "x", "y", "z"]
    train_split = data.Split(images[:n_train], labels[:n_train])
    test_split = data.Split(images[n_train:], labels[n_train:])
    return data.make_dataset("tiny-synthetic", train_split, test_split, classes)


@pytest.fixture
def fake_data(monkeypatch):
    """Replace the dataset download/generation with a small in-memory dataset; record the request."""
    calls = []

    def for_lesson(name="cifar10", *, budget=None, data_dir=None, download=True):
        calls.append({"name": name, "budget": budget, "data_dir": data_dir})
        return small_dataset()

    monkeypatch.setattr(data, "for_lesson", for_lesson)
    return calls


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    env_cmd = [sys.executable, "-m", "smallnets_edu", *argv]
    return subprocess.run(env_cmd, capture_output=True, text=True, timeout=120)


def test_help_lists_every_command():
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("train", "cost", "notebooks"):
        assert command in done.stdout


def test_no_command_or_unknown_command_is_a_usage_error(capsys):
    assert cli_main.main([]) == 2
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["fly"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "module"), [("cost", "smallnets_edu.cli_cost"), ("notebooks", "smallnets_edu.pairing")]
)
def test_other_commands_are_dispatched_with_their_arguments(monkeypatch, command, module):
    received = []
    stub = types.ModuleType(module)
    stub.main = lambda argv: received.append(list(argv)) or 7
    monkeypatch.setitem(sys.modules, module, stub)
    assert cli_main.main([command, "mobilenet_v2", "--flag"]) == 7
    assert received == [["mobilenet_v2", "--flag"]]


def test_unknown_model_exits_2_without_traceback():
    done = run_cli("train", "no_such_net", "--budget", "smoke")
    assert done.returncode == 2
    assert "unknown model 'no_such_net'" in done.stderr
    assert "mobilenet_v2" in done.stderr  # the message lists the valid names
    assert "Traceback" not in done.stderr


def test_train_writes_checkpoints_and_history_and_prints_accuracy(fake_data, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "mobilenet_v2", "--width", "0.25", "--epochs", "1", "--batch-size", "32"]
    argv += ["--budget", "smoke", "--out", str(out), "--no-progress", "--seed", "3"]
    status = cli_main.main(argv)
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "history.json", "last.pt"]
    history = train.History.from_json(out / "history.json")
    assert len(history) == 1
    assert history.config["seed"] == 3 and history.config["batch_size"] == 32
    printed = capsys.readouterr().out
    assert f"final test accuracy {history.final_test_acc:.2%}" in printed
    meta = train.load_checkpoint(out / "last.pt")["model"]
    assert meta == {
        "name": "mobilenet_v2",
        "variant": "cifar",
        "num_classes": 4,
        "width_mult": 0.25,
        "options": {"expansion": 6},
    }
    assert fake_data[0]["name"] == "cifar10"  # the default dataset

    # Resuming continues the same run for the extra epoch.
    status = cli_main.main([*argv[:5], "2", *argv[6:], "--resume", str(out / "last.pt")])
    assert status == 0
    resumed = train.History.from_json(out / "history.json")
    assert [e["epoch"] for e in resumed.epochs] == [1, 2]
    assert resumed.epochs[0] == history.epochs[0]

    # A checkpoint of another width is refused with both architectures named.
    status = cli_main.main(["train", "mobilenet_v2", "--width", "0.5", "--resume", str(out / "last.pt")])
    assert status == 2
    err = capsys.readouterr().err
    assert "width 0.25" in err and "width 0.5" in err and "Traceback" not in err


def test_unknown_dataset_exits_2(capsys):
    assert cli.main(["squeezenet1_1", "--dataset", "mnist", "--budget", "smoke"]) == 2
    assert "unknown dataset 'mnist'" in capsys.readouterr().err


def test_malformed_numbers_are_argparse_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["mobilenet_v2", "--width", "wide"])
    assert exit_info.value.code == 2
    assert "--width" in capsys.readouterr().err


def test_history_json_is_plain_json(fake_data, tmp_path):
    argv = ["squeezenet1_1", "--width", "0.25", "--epochs", "1", "--batch-size", "32", "--budget", "smoke"]
    assert cli.main([*argv, "--out", str(tmp_path), "--no-progress"]) == 0
    raw = json.loads((tmp_path / "history.json").read_text())
    assert raw["model"] == "squeezenet1_1" and len(raw["epochs"]) == 1


def test_family_options_reach_the_model(fake_data, monkeypatch, capsys):
    built = {}
    real_build = models.build

    def build(name, **kwargs):
        built.update(kwargs)
        return real_build(name, **kwargs)

    monkeypatch.setattr(models, "build", build)
    argv = ["shufflenet_v1", "--width", "0.25", "--epochs", "1", "--batch-size", "32", "--budget", "smoke"]
    argv += ["--option", "groups=8", "--option", "shuffle=false", "--no-progress"]
    assert cli.main(argv) == 0
    assert built["groups"] == 8 and built["shuffle"] is False


def test_option_values_are_typed_like_the_defaults():
    assert cli.parse_options("squeezenet1_1", ["squeeze_ratio=0.25", "freq=3", "bypass=simple"]) == {
        "squeeze_ratio": 0.25,
        "freq": 3,
        "bypass": "simple",
    }
    assert cli.parse_options("mobilenet_v2", ["expansion=4.5"]) == {"expansion": 4.5}


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("groups", "takes KEY=VALUE"),
        ("colour=red", "shufflenet_v1 has no option 'colour'; its options are: groups (default 3)"),
        ("groups=three", "option groups of shufflenet_v1 takes a value like its default 3; got 'three'"),
        ("shuffle=maybe", "option shuffle of shufflenet_v1 takes a value like its default True"),
        ("groups=5", "groups must be one of"),
    ],
)
def test_bad_options_exit_2_with_the_reason(fake_data, capsys, option, message):
    argv = ["shufflenet_v1", "--budget", "smoke", "--no-progress", "--option", option]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_precision_chooses_fits_number_format(fake_data, tmp_path, monkeypatch):
    from smallnets_edu.train import device as device_mod

    monkeypatch.setattr(device_mod, "cpu_has_bf16_units", lambda: True)
    argv = ["squeezenet1_1", "--width", "0.25", "--epochs", "1", "--batch-size", "32", "--budget", "smoke"]
    argv += ["--device", "cpu", "--no-progress", "--overwrite", "--out", str(tmp_path)]
    formats = {}
    for precision in ("auto", "float32", "bf16"):
        assert cli.main([*argv, "--precision", precision]) == 0
        formats[precision] = json.loads((tmp_path / "history.json").read_text())["config"]["amp"]
    assert formats == {"auto": "bfloat16", "float32": None, "bf16": "bfloat16"}
