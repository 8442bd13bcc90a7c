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
from dataclasses import dataclass, fields, replace

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
    adamw_lr: float  # AdamW's peak rate for batch_size, for the networks that ask for AdamW
    weight_decay: float
    warmup_epochs: float
    label_smoothing: float
    bench_seconds: float  # how long a latency measurement may take
    short: bool  # trains for accuracy per second: networks' ``short_budget`` recipe defaults apply
    min_steps: int  # a run with fewer optimizer steps halves its batch (to 32 at least) until it has them
    plain_up_to_epochs: int  # a run of at most this many epochs sees plain images unless asked (0: none)

    def with_(self, **changes) -> Budget:
        """A copy with some fields changed (``budget.with_(epochs=3)``)."""
        return replace(self, **changes)


# One row per budget, as the README's table reads. ``gpu``: the whole training set for 30 epochs, a few
# minutes per network of the course at CIFAR size on one datacenter GPU; its batch and rate double
# together (linear scaling, Goyal et al. 2017). ``full``: the papers' kind of recipe, 200 epochs.
# ``short`` budgets let a network that learns slowly but runs fast ask for more epochs and lighter
# augmentation (the published SqueezeNets: ``models.squeezenet.published_recipe``). ``laptop`` gives every
# run at least 100 optimizer steps: a warm-up and a cosine over fewer than that left MobileNetV2 after one
# epoch of 10,000 images (78 steps of 128) at 61.6 +- 14.0%; at 156 steps of 64, 80.6 +- 2.8% in the
# same time (three seeds, README). Lessons train 117 steps or more, so the rule leaves them alone.
# AdamW's peak (for the networks that ask for AdamW) is 2e-2 at ``laptop``: 5 epochs at 3e-3 left
# MobileNet v1 at 70% and FD-MobileNet at 66%, at 2e-2 they reach 90% and 92% (three seeds, README);
# ``smoke`` scales it with its batch like the SGD rate; ``gpu`` and ``full`` keep 3e-3, not measured
# against 2e-2 over their longer runs. At ``smoke`` and ``laptop`` a run of at most two epochs trains
# on plain images (``plain_up_to_epochs``): crops and flips fight overfitting, which a network that has
# seen each image once or twice does not have (README: two epochs, three seeds, MobileNet v1 and
# FD-MobileNet).
_FIELDS = [f.name for f in fields(Budget)][1:]  # all but the name, in the order of the columns below
_ROWS = [
    # name    epochs train   test   batch lr    AdamW decay warm-up smoothing timing(s) short min-steps plain
    ("smoke",  1,     512,    256,   64,   0.05, 1e-2, 5e-4, 0.0,    0.1,      0.05,     True,  0,        2),
    ("laptop", 5,     10_000, 2_000, 128,  0.1,  2e-2, 5e-4, 0.5,    0.1,      0.5,      True,  100,      2),
    ("gpu",    30,    None,   None,  256,  0.2,  3e-3, 5e-4, 1.0,    0.1,      1.0,      False, 0,        0),
    ("full",   200,   None,   None,  128,  0.1,  3e-3, 5e-4, 2.0,    0.1,      2.0,      False, 0,        0),
]  # fmt: skip
BUDGETS: dict[str, Budget] = {
    name: Budget(name, **dict(zip(_FIELDS, values, strict=True))) for name, *values in _ROWS
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
