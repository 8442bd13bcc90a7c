"""A run's settings, resolved once: given explicitly, else from the run being resumed, else the budget."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from .recipe import ADAMW_WEIGHT_DECAY, ONECYCLE_WARMUP, OPTIMIZERS, SCHEDULES

if TYPE_CHECKING:
    from ..budget import Budget


@dataclass(frozen=True)
class Settings:
    """Every hyperparameter of a ``fit`` run (what its checkpoints and history record as ``config``)."""

    epochs: int
    batch_size: int
    lr: float  # peak learning rate for ``batch_size``
    weight_decay: float
    label_smoothing: float
    warmup_epochs: float
    schedule: str
    train_size: int | None  # images per epoch (a fixed random subset); None: the whole training set
    test_size: int | None
    augment: bool | None  # random crop and flip; None: the loader's default
    head_lr_scale: float = 1.0  # the classifier's rate relative to ``lr`` (a network's own default)
    optimizer: str = "sgd"  # or "adamw"; runs saved before the choice existed trained with SGD

    @classmethod
    def resolve(
        cls,
        budget: Budget,
        saved: dict[str, Any] | None,
        explicit: dict[str, Any],
        model_defaults: dict[str, Any] | None = None,
        available_images: int | None = None,
    ) -> Settings:
        """Explicit values win, then the checkpoint being resumed, then the network's own defaults
        (``model.recipe_defaults``), then the budget; every value checked.

        A network's defaults may set its own AdamW peak at the budget's batch (``adamw_lr``), scale the
        budget's epochs (``epochs_scale``), and hold a ``short_budget`` dict of defaults that apply only
        at the short budgets. A run of at most the budget's ``plain_up_to_epochs`` epochs trains on
        plain images unless someone chose ``augment``.
        Given ``available_images`` (the training set's size), a batch size nobody chose is halved, down
        to 32, while the run would take fewer than the budget's ``min_steps`` optimizer steps.
        """
        s: dict[str, Any] = {
            "epochs": budget.epochs,
            "batch_size": budget.batch_size,
            "weight_decay": None,  # depends on the optimizer, resolved below
            "label_smoothing": budget.label_smoothing,
            "warmup_epochs": None,  # depends on the schedule, resolved below
            "train_size": budget.train_size,
            "test_size": budget.test_size,
            "schedule": "cosine",
            "augment": None,
            "lr": None,  # scaled from the budget's, below
            "head_lr_scale": 1.0,
            "optimizer": "sgd",
        }
        defaults = dict(model_defaults or {})
        short_budget = defaults.pop("short_budget", {})
        if budget.short:
            defaults.update(short_budget)
        adamw_lr = defaults.pop("adamw_lr", None)
        epochs_scale = number("epochs_scale", defaults.pop("epochs_scale", 1.0), 0.0, low_open=True)
        s["epochs"] = max(1, round(budget.epochs * epochs_scale))
        s.update({k: v for k, v in defaults.items() if k in s})
        s.update({k: saved[k] for k in s if saved and k in saved})
        s.update({k: v for k, v in explicit.items() if v is not None})
        epochs, batch_size = positive_int("epochs", s["epochs"]), positive_int("batch_size", s["batch_size"])
        chosen = explicit.get("batch_size") is not None or bool(saved and "batch_size" in saved)
        if available_images is not None and not chosen:
            images = available_images if s["train_size"] is None else min(s["train_size"], available_images)
            batch_size = batch_for_steps(batch_size, epochs, images, budget.min_steps)
        if s["schedule"] not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {s['schedule']!r}")
        if s["optimizer"] not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {s['optimizer']!r}")
        adamw = s["optimizer"] == "adamw"
        if s["lr"] is None:
            # The budget's rate is tuned for its batch size; scale it linearly with the batch
            # (Goyal et al., 2017) so changing only batch_size keeps the recipe sensible.
            # A network may name its own AdamW peak (``adamw_lr`` in its ``recipe_defaults``).
            peak = budget.adamw_lr if adamw else budget.lr
            if adamw and adamw_lr is not None:
                peak = number("adamw_lr", adamw_lr, 0.0, low_open=True)
            s["lr"] = peak * batch_size / budget.batch_size
        if s["weight_decay"] is None:
            s["weight_decay"] = ADAMW_WEIGHT_DECAY if adamw else budget.weight_decay
        if s["warmup_epochs"] is None:
            s["warmup_epochs"] = (
                budget.warmup_epochs if s["schedule"] == "cosine" else ONECYCLE_WARMUP * epochs
            )
        if s["augment"] is not None and not isinstance(s["augment"], bool):
            raise ValueError(
                f"augment must be True, False or None (the loader's default), got {s['augment']!r}"
            )
        if s["augment"] is None and epochs <= budget.plain_up_to_epochs:
            s["augment"] = False  # too few epochs to overfit: crops and flips only slow the learning
        return cls(
            epochs=epochs,
            batch_size=batch_size,
            lr=number("lr", s["lr"], 0.0, low_open=True),
            weight_decay=number("weight_decay", s["weight_decay"], 0.0),
            label_smoothing=number("label_smoothing", s["label_smoothing"], 0.0, 0.99),
            warmup_epochs=number("warmup_epochs", s["warmup_epochs"], 0.0, epochs),
            schedule=s["schedule"],
            train_size=None if s["train_size"] is None else positive_int("train_size", s["train_size"]),
            test_size=None if s["test_size"] is None else positive_int("test_size", s["test_size"]),
            augment=s["augment"],
            head_lr_scale=number("head_lr_scale", s["head_lr_scale"], 0.0, low_open=True),
            optimizer=s["optimizer"],
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def batch_for_steps(batch_size: int, epochs: int, images: int, min_steps: int, smallest: int = 32) -> int:
    """``batch_size`` halved until ``epochs`` over ``images`` take ``min_steps`` steps (or it reaches
    ``smallest``): a warm-up and a cosine need steps, and a small network on a CPU costs about the same
    per image at batch 64 as at 128. The rate follows the batch (linear scaling, in :meth:`Settings.resolve`).
    """
    while batch_size // 2 >= smallest and epochs * (images // batch_size) < min_steps:
        batch_size //= 2
    return batch_size


def positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def number(name: str, value: object, low: float, high: float = math.inf, low_open: bool = False) -> float:
    """``value`` as a float, if it is a finite number within [low, high] (or (low, high])."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and value <= high
    if not ok:
        bound = f"greater than {low}" if low_open else f"at least {low}"
        upper = f" and at most {high}" if math.isfinite(high) else ""
        raise ValueError(f"{name} must be a number {bound}{upper}, got {value!r}")
    return float(value)
