"""The train command on CIFAR-100 and Tiny-ImageNet: the variant and class count follow the data.

The archives are small ones the tests write in the official formats and serve from a file URL, so the
real download, md5 check, extraction and decoding run.
"""

from __future__ import annotations

import pytest

from smallnets_edu import __main__ as cli_main
from smallnets_edu import data, train
from tests.test_data_formats import _serve, build_cifar100, build_tinyimagenet


def train_on(tmp_path, dataset: str, batch: int, capsys) -> train.History:
    out = tmp_path / "run"
    argv = [
        "train",
        "mobilenet_v2",
        "--width",
        "0.25",
        "--dataset",
        dataset,
        "--data-dir",
        str(tmp_path / "d"),
    ]
    argv += [
        "--budget",
        "smoke",
        "--epochs",
        "1",
        "--batch-size",
        str(batch),
        "--no-progress",
        "--out",
        str(out),
    ]
    assert cli_main.main(argv) == 0, capsys.readouterr().err
    return train.load_model(out / "last.pt")


def test_tinyimagenet_trains_the_tiny_variant_on_its_classes(tmp_path, monkeypatch, capsys):
    archive, expected = build_tinyimagenet(tmp_path)
    _serve(monkeypatch, "tinyimagenet", archive, "tiny-imagenet-200", {})
    model = train_on(tmp_path, "tinyimagenet", 3, capsys)
    assert model.spec.variant == "tiny" and model.spec.num_classes == len(expected["wnids"])


def test_cifar100_trains_the_cifar_variant_with_100_classes(tmp_path, monkeypatch, capsys):
    archive, files, _ = build_cifar100(tmp_path)
    _serve(monkeypatch, "cifar100", archive, "cifar-100-python", files)
    model = train_on(tmp_path, "cifar100", 10, capsys)
    assert model.spec.variant == "cifar" and model.spec.num_classes == 100
    assert model.classifier[-1].out_features == 100


@pytest.mark.parametrize("dataset, variant, side", [("tinyimagenet", "tiny", 64), ("cifar100", "cifar", 32)])
def test_without_the_files_both_train_on_the_many_class_offline_set(
    tmp_path, monkeypatch, capsys, dataset, variant, side
):
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    model = train_on(tmp_path, dataset, 32, capsys)
    assert model.spec.variant == variant and model.spec.num_classes == 100
    err = capsys.readouterr().err
    assert "uses the offline 'shapes100' dataset instead (100 classes" in err and f"{side}x{side}" in err
    assert data.ARCHIVES[dataset].filename in err  # the file to fetch
