"""Data-parallel training: ``torchrun --nproc-per-node 2`` must train like one process.

The comparison is made exact by the choice of network. With data parallelism each of the two
processes takes half of every global batch (the Loader's shard gives rank r the positions r, r+2, ...
of the same permutation and augmentation), computes the mean loss of its half, and DDP averages the two
gradients: that is the gradient of the mean over the whole batch, so every step equals the
single-process step up to floating-point summation order. BatchNorm would break this (each process
normalises with the statistics of its own half-batch) and so would dropout (masks drawn per process),
so the network here has neither; the weights after three epochs then agree to ~1e-6, and the
all-reduced metrics (loss, accuracy, test accuracy over both shards) match the single-process ones.
A wrong per-process batch size, a missing gradient average or overlapping shards would all show.

This file is also the worker script: torchrun runs it as ``__main__``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch import nn

from smallnets_edu import data, train

EPOCHS = 3
BATCH = 64  # global; 32 per process under torchrun --nproc-per-node 2
LR = 0.5  # high enough that the tiny net learns in 12 steps, so the accuracies compared are not chance


def dataset() -> data.Dataset:
    g = torch.Generator().manual_seed(0)
    n_train, n_test = 256, 64
    n = n_train + n_test
    labels = torch.arange(n) % 4
    images = torch.randint(0, 80, (n, 3, 8, 8), generator=g, dtype=torch.uint8)
    for c in range(4):
        images[labels == c, c % 3, 2 * (c // 2) : 2 * (c // 2) + 3, :] += 150
    classes = ["a", "b", "c", "d"]
    return data.make_dataset(
        "toy",
        data.Split(images[:n_train], labels[:n_train]),
        data.Split(images[n_train:], labels[n_train:]),
        classes,
    )


class NoNorm(nn.Module):
    """Two convolutions and a linear layer: no BatchNorm, no dropout (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(8, 4),
        )
        self.name = "nonorm"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def run(out_dir: str | Path | None = None) -> tuple[nn.Module, train.History]:
    torch.manual_seed(0)
    model = NoNorm()
    history = train.fit(
        model,
        dataset(),
        budget="smoke",
        epochs=EPOCHS,
        batch_size=BATCH,
        lr=LR,
        device="cpu",
        amp=False,  # float32: halves of a batch in bfloat16 would round differently from the whole
        progress=False,
        out_dir=out_dir,
    )
    return model, history


@pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed/gloo"
)
def test_two_processes_train_like_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"  # two processes on a shared CPU: no oversubscription
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        __file__,
        str(tmp_path),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]

    parallel = train.load_checkpoint(tmp_path / "last.pt")
    parallel_history = train.History.from_dict(parallel["history"])
    assert parallel_history.config["world_size"] == 2
    assert parallel_history.config["batch_size"] == BATCH

    model, history = run()
    assert history.config["world_size"] == 1
    assert history.best_test_acc > 0.5  # it learnt something (chance is 0.25)
    for key, value in model.state_dict().items():
        assert torch.allclose(parallel["state_dict"][key], value, atol=1e-5, rtol=1e-4), key
    for one, two in zip(history.epochs, parallel_history.epochs, strict=True):
        for key in ("train_loss", "train_acc", "test_loss", "test_acc", "lr"):
            assert two[key] == pytest.approx(one[key], abs=1e-5), key


if __name__ == "__main__":
    # Under torchrun: every process trains; fit writes the files from rank 0 only.
    run(out_dir=sys.argv[1])
    train.distributed.cleanup()
