"""One setting decides how much work every lesson and test does: ``SMALLNETS_BUDGET``.

- ``smoke``: seconds per notebook; what the test suite runs.
- ``laptop``: a few minutes per training on two CPU cores; the default without a GPU.
- ``gpu``: a few minutes per training on one GPU, on the whole training set; the default when a CUDA
  GPU is present.
- ``full``: paper-like recipes (200 epochs): hours per training, run only when asked for.

Lessons call :func:`current` and never read the environment themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

ENV_VAR = "SMALLNETS_BUDGET"


@dataclass(frozen=True)
class Budget:
    """How long to train and on how much data."""

    name: str
    epochs: int
    train_size: int | None  # images per epoch; None means the whole training set
    test_size: int | None  # images evaluated; None means the whole test set
    batch_size: int
    lr: float  # peak learning rate for batch_size (SGD, Nesterov momentum)
    weight_decay: float
    warmup_epochs: float
    label_smoothing: float
    bench_seconds: float  # how long a latency measurement may take

    def with_(self, **changes) -> Budget:
        """A copy with some fields changed (``budget.with_(epochs=3)``)."""
        return replace(self, **changes)


BUDGETS: dict[str, Budget] = {
    "smoke": Budget(
        "smoke",
        epochs=1,
        train_size=512,
        test_size=256,
        batch_size=64,
        lr=0.05,
        weight_decay=5e-4,
        warmup_epochs=0.0,
        label_smoothing=0.1,
        bench_seconds=0.05,
    ),
    "laptop": Budget(
        "laptop",
        epochs=5,
        train_size=10_000,
        test_size=2_000,
        batch_size=128,
        lr=0.1,
        weight_decay=5e-4,
        warmup_epochs=0.5,
        label_smoothing=0.1,
        bench_seconds=0.5,
    ),
    # The whole training set for 30 epochs: on one datacenter GPU, a few minutes per network of the
    # course at CIFAR size; the batch and the rate double together (linear scaling, Goyal et al. 2017).
    "gpu": Budget(
        "gpu",
        epochs=30,
        train_size=None,
        test_size=None,
        batch_size=256,
        lr=0.2,
        weight_decay=5e-4,
        warmup_epochs=1.0,
        label_smoothing=0.1,
        bench_seconds=1.0,
    ),
    "full": Budget(
        "full",
        epochs=200,
        train_size=None,
        test_size=None,
        batch_size=128,
        lr=0.1,
        weight_decay=5e-4,
        warmup_epochs=2.0,
        label_smoothing=0.1,
        bench_seconds=2.0,
    ),
}


def default_name() -> str:
    """``gpu`` when a CUDA GPU is present, ``laptop`` otherwise (``full`` only when asked for)."""
    import torch

    return "gpu" if torch.cuda.is_available() else "laptop"


def get(name: str | None = None) -> Budget:
    """The budget called ``name``; with no name, the one ``SMALLNETS_BUDGET`` sets (or the default)."""
    if name is None:
        name = os.environ.get(ENV_VAR, "").strip().lower() or default_name()
    if isinstance(name, Budget):
        return name
    if name not in BUDGETS:
        raise ValueError(
            f"unknown budget {name!r}; choose one of {', '.join(BUDGETS)} "
            f"(set it with {ENV_VAR}=laptop, or pass budget='laptop')"
        )
    return BUDGETS[name]


def current() -> Budget:
    """The budget this session runs at (what lessons use)."""
    return get()
