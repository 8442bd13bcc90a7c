"""Nothing silently wrong: checkpoints rebuild the network that was trained, run folders are never
mixed, a diverged run says so, and every user error on the command line is one line with status 2.
"""

from __future__ import annotations

import errno
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from smallnets_edu import __main__ as cli_main
from smallnets_edu import data, files, models, train
from smallnets_edu.train import checkpoint, cli, run_folder

FIT = {"budget": "smoke", "batch_size": 16, "device": "cpu", "progress": False}

# A non-default choice of every option a family has: each must survive a checkpoint.
NON_DEFAULT = {
    "effnet": {"block": "shufflenet"},
    "fd_mobilenet": {"classifier_init": "paper"},
    "mobilenet_v1": {"shallow": True},
    "mobilenet_v2": {"expansion": 4},
    "shufflenet_v1": {"groups": 8, "shuffle": False},
    "squeezenet1_0": {"batch_norm": True, "bypass": "simple"},
    "squeezenet1_1": {"batch_norm": True, "squeeze_ratio": 0.25},
}


def small_dataset(classes: int = 4, size: int = 32, n_train: int = 32, n_test: int = 16) -> data.Dataset:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n_train + n_test, 3, size, size), generator=g, dtype=torch.uint8)
    labels = torch.arange(n_train + n_test) % classes
    split = data.Split
    return data.make_dataset(
        "synthetic",
        split(images[:n_train], labels[:n_train]),
        split(images[n_train:], labels[n_train:]),
        [f"c{i}" for i in range(classes)],
    )


@pytest.fixture
def fake_data(monkeypatch):
    monkeypatch.setattr(data, "for_lesson", lambda *a, **k: small_dataset(n_train=128))


def test_every_family_is_covered():
    assert sorted(NON_DEFAULT) == models.names()
    for name, chosen in NON_DEFAULT.items():
        defaults = models.options(name)
        assert all(defaults[k] != v for k, v in chosen.items()), name


# --------------------------------------------------------------------------------------------------
# Checkpoints rebuild exactly the trained network
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
def test_options_round_trip_through_a_checkpoint(name, tmp_path):
    torch.manual_seed(0)
    model = models.build(name, num_classes=4, width_mult=0.5, variant="cifar", **NON_DEFAULT[name])
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)
    reloaded = train.load_model(tmp_path / "last.pt")
    assert reloaded.spec == model.spec
    assert reloaded.spec.options == {**models.options(name), **NON_DEFAULT[name]}
    assert [type(m) for m in reloaded.modules()] == [type(m) for m in model.modules()]
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(x), model(x))


def test_shufflenet_without_shuffle_never_reloads_into_one_that_shuffles(tmp_path):
    torch.manual_seed(0)
    model = models.build("shufflenet_v1", num_classes=4, width_mult=0.5, variant="cifar", shuffle=False)
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)
    reloaded = train.load_model(tmp_path / "last.pt")
    assert not any(type(m).__name__ == "ChannelShuffle" for m in reloaded.modules())
    # Resuming into a network that shuffles is refused, naming the option.
    shuffling = models.build("shufflenet_v1", num_classes=4, width_mult=0.5, variant="cifar")
    with pytest.raises(ValueError, match=r"option shuffle: True in the model, False in the checkpoint"):
        train.fit(shuffling, small_dataset(), resume=tmp_path / "last.pt", **FIT)


def test_a_mismatch_names_every_differing_field(tmp_path):
    torch.manual_seed(0)
    model = models.build("shufflenet_v1", num_classes=4, width_mult=0.5, variant="cifar", groups=8)
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)
    other = models.build("shufflenet_v1", num_classes=4, width_mult=0.25, variant="cifar")
    with pytest.raises(ValueError) as err:
        train.fit(other, small_dataset(), resume=tmp_path / "last.pt", **FIT)
    text = str(err.value)
    assert "width_mult: 0.25 in the model, 0.5 in the checkpoint" in text
    assert "option groups: 3 in the model, 8 in the checkpoint" in text
    assert "groups=8" in text  # the checkpoint's network is described with its non-default option


def test_load_model_checks_the_device_like_fit(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    model = models.build("mobilenet_v2", num_classes=4, width_mult=0.25, variant="cifar")
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)
    with pytest.raises(ValueError, match="no CUDA GPU is available; use device='cpu'"):
        train.load_model(tmp_path / "last.pt", device="cuda")


def test_a_checkpoint_without_run_state_cannot_be_resumed(tmp_path):
    model = models.build("mobilenet_v2", num_classes=4, width_mult=0.25, variant="cifar")
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path / "run", **FIT)
    payload = checkpoint.load(tmp_path / "run" / "last.pt")
    del payload["optimizer"]
    torch.save(payload, tmp_path / "weights.pt")
    assert train.load_model(tmp_path / "weights.pt").spec == model.spec  # the weights still load
    with pytest.raises(ValueError, match=r"not the state of a run \(optimizer missing\)"):
        train.fit(model, small_dataset(), resume=tmp_path / "weights.pt", **FIT)


class Payload:
    """Not plain data: torch.load(weights_only=True) refuses to build it."""


def test_an_unsafe_checkpoint_is_refused_without_unsafe_advice(tmp_path):
    torch.save({"model": Payload(), "state_dict": {}}, tmp_path / "evil.pt")
    with pytest.raises(ValueError) as err:
        train.load_model(tmp_path / "evil.pt")
    text = str(err.value)
    assert "not a readable checkpoint" in text and "never loaded" in text
    assert "weights_only=False" not in text and "weights_only" not in text


def test_resuming_a_finished_run_says_so(tmp_path):
    model = models.build("mobilenet_v2", num_classes=4, width_mult=0.25, variant="cifar")
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)
    with pytest.raises(ValueError, match="already finished all 1 of its epochs"):
        train.fit(model, small_dataset(), epochs=1, resume=tmp_path / "last.pt", **FIT)


# --------------------------------------------------------------------------------------------------
# Run folders
# --------------------------------------------------------------------------------------------------


def test_a_folder_holding_a_run_is_refused_unless_resumed_or_overwritten(tmp_path):
    ds = small_dataset()
    first = models.build("mobilenet_v2", num_classes=4, width_mult=0.25, variant="cifar")
    train.fit(first, ds, epochs=2, out_dir=tmp_path, **FIT)
    before = (tmp_path / "last.pt").read_bytes()
    second = models.build("squeezenet1_1", num_classes=4, width_mult=0.25, variant="cifar")
    with pytest.raises(
        ValueError, match=r"already holds a run of mobilenet_v2 \(2 epoch\(s\)\).*--overwrite"
    ):
        train.fit(second, ds, epochs=1, out_dir=tmp_path, **FIT)
    assert (tmp_path / "last.pt").read_bytes() == before  # untouched
    # Overwriting deletes every file of the old run first: no best.pt of another network is left.
    (tmp_path / "best.pt").write_bytes((tmp_path / "last.pt").read_bytes())
    history = train.fit(second, ds, epochs=1, out_dir=tmp_path, overwrite=True, **FIT)
    for name in ("last.pt", "best.pt"):
        assert checkpoint.load(tmp_path / name)["model"]["name"] == "squeezenet1_1"
    assert train.History.from_json(tmp_path / "history.json").epochs == history.epochs


def test_two_runs_into_one_folder_at_once_are_refused(tmp_path):
    model = models.build("mobilenet_v2", num_classes=4, width_mult=0.25, variant="cifar")
    with run_folder.claim(tmp_path):  # a run holds the folder
        with pytest.raises(ValueError, match="another run is training into"):
            train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)
    assert not (tmp_path / "last.pt").exists()
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)  # free again


def test_a_second_process_is_refused_while_a_run_holds_the_folder(tmp_path):
    code = (
        "import sys, time\n"
        "from smallnets_edu.train import run_folder\n"
        "with run_folder.claim(sys.argv[1]):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ValueError, match="another run is training into"):
            with run_folder.claim(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with run_folder.claim(tmp_path):  # the lock died with the process
        pass


def test_temporary_files_of_a_killed_save_are_cleaned_at_start(tmp_path):
    for stale in (".last.pt.abc123.tmp", ".history.json.x.tmp"):
        (tmp_path / stale).write_bytes(b"half a checkpoint")
    model = models.build("mobilenet_v2", num_classes=4, width_mult=0.25, variant="cifar")
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "history.json", "last.pt"]


def test_a_full_disk_during_a_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    model = models.build("mobilenet_v2", num_classes=4, width_mult=0.25, variant="cifar")
    train.fit(model, small_dataset(), epochs=1, out_dir=tmp_path, **FIT)
    before = (tmp_path / "last.pt").read_bytes()

    def full(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(ValueError, match=r"could not write the checkpoint .*No space left on device"):
        train.fit(model, small_dataset(), epochs=2, out_dir=tmp_path, resume=tmp_path / "last.pt", **FIT)
    assert (tmp_path / "last.pt").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(files.TEMP_SUFFIX) or p.name == ".lock"]


# --------------------------------------------------------------------------------------------------
# Divergence
# --------------------------------------------------------------------------------------------------


def test_a_diverged_run_exits_non_zero_and_claims_no_weights(fake_data, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["mobilenet_v2", "--width", "0.25", "--lr", "1e6", "--batch-size", "16", "--budget", "smoke"]
    argv += ["--no-progress"]
    with pytest.warns(UserWarning, match="diverged at epoch 1.*not usable"):
        status = cli.main([*argv, "--out", str(out)])
    assert status == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert "training diverged at epoch 1" in err and "no weights were kept" in err
    assert "Traceback" not in err
    history = train.History.from_json(out / "history.json")
    assert history.diverged and len(history) == 1 and not math.isfinite(history.epochs[0]["train_loss"])
    assert not (out / "last.pt").exists() and not (out / "best.pt").exists()


# --------------------------------------------------------------------------------------------------
# One line and status 2 for every user error
# --------------------------------------------------------------------------------------------------


def _one_line_error(capsys, argv: list[str]) -> str:
    status = cli.main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("extra", "message", "before_data"),
    [
        # Training settings are fit's to check, once the data is there.
        (["--epochs", "0"], "epochs must be a positive integer", False),
        (["--batch-size", "-4"], "batch_size must be a positive integer", False),
        # The rest is refused at once, unbounded sizes included.
        (["--budget", "huge"], "unknown budget", True),
        (["--variant", "planet"], "variant", True),
        (["--width", "inf"], "width_mult must be a finite number", True),
        (["--width", "100"], "above the ceiling of 4", True),
        (["--option", "expansion=inf"], "option expansion of mobilenet_v2 must be a finite number", True),
        (["--option", "expansion=100000"], "GiB of float32 weights", True),
    ],
)
def test_bad_settings_are_refused_with_the_reason(monkeypatch, capsys, extra, message, before_data):
    def for_lesson(*args, **kwargs):
        if before_data:
            raise AssertionError("data was loaded before the setting was checked")
        return small_dataset()

    monkeypatch.setattr(data, "for_lesson", for_lesson)
    err = _one_line_error(capsys, ["mobilenet_v2", "--budget", "smoke", "--no-progress", *extra])
    assert message in err


def test_bad_out_folders_are_refused_before_any_data_loads(tmp_path, capsys, monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("data was loaded before --out was checked")

    monkeypatch.setattr(data, "for_lesson", no_data)
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    base = ["mobilenet_v2", "--budget", "smoke", "--no-progress"]
    assert "is a file, not a folder" in _one_line_error(capsys, [*base, "--out", str(a_file)])
    assert "which is a file" in _one_line_error(capsys, [*base, "--out", str(a_file / "run")])
    assert "is a file; pass the folder" in _one_line_error(capsys, [*base, "--data-dir", str(a_file)])
    # A place the user may not write to (root may write anywhere, so the permission check is faked).
    monkeypatch.setattr(run_folder.os, "access", lambda path, mode: False)
    assert "permission denied" in _one_line_error(capsys, [*base, "--out", str(tmp_path / "ro")])


def test_cost_rejects_zero_classes_and_zero_resolution(capsys):
    from smallnets_edu import cli_cost

    for argv, message in (
        (["mobilenet_v1", "--classes", "0"], "--classes must be a positive number"),
        (["mobilenet_v1", "--resolution", "0"], "--resolution must be a positive number"),
        (["mobilenet_v1", "--width", "inf"], "width_mult must be a finite number"),
    ):
        assert cli_cost.main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def test_imagefolder_resolution_zero_is_blamed_on_the_setting(tmp_path):
    with pytest.raises(ValueError, match="resolution must be a positive number of pixels"):
        data.load("imagefolder", root=tmp_path, resolution=0)


# --------------------------------------------------------------------------------------------------
# Your own images from the command line
# --------------------------------------------------------------------------------------------------


def write_image_folder(root: Path, size: int = 40) -> None:
    rng = np.random.default_rng(0)
    for split, count in (("train", 12), ("val", 4)):
        for c, colour in enumerate(((200, 30, 30), (30, 200, 30), (30, 30, 200))):
            folder = root / split / f"class{c}"
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 60, (size, size, 3), dtype=np.uint8) + np.array(colour, np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")


def test_the_cli_trains_on_an_image_folder(tmp_path, capsys):
    write_image_folder(tmp_path / "images")
    out = tmp_path / "run"
    argv = ["train", "mobilenet_v2", "--width", "0.25", "--dataset", "imagefolder"]
    argv += ["--data-dir", str(tmp_path / "images"), "--resolution", "32", "--batch-size", "12"]
    argv += ["--budget", "smoke", "--no-progress", "--out", str(out)]
    assert cli_main.main(argv) == 0
    assert "on imagefolder: final test accuracy" in capsys.readouterr().out
    reloaded = train.load_model(out / "best.pt")
    assert reloaded.spec.num_classes == 3 and reloaded.spec.variant == "cifar"


def test_imagefolder_without_a_folder_is_one_line(capsys):
    err = _one_line_error(capsys, ["mobilenet_v2", "--dataset", "imagefolder", "--budget", "smoke"])
    assert "needs --data-dir" in err
