"""What a training run and an evaluation return: :class:`History` and :class:`Evaluation`.

Both are plain data (numbers, strings, lists) so they save to JSON, travel inside a checkpoint that
``torch.load(weights_only=True)`` accepts, and plot without the model.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..files import atomic_write_text

# The keys of one epoch's record, in the order tables show them.
EPOCH_KEYS = (
    "epoch",
    "train_loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "lr",
    "seconds",
    "images_per_second",
)

# Fixed figure sizes (inches) so notebook outputs look the same on every machine.
CURVES_FIGSIZE = (10.0, 3.6)
CONFUSION_FIGSIZE = (6.4, 5.6)


@dataclass
class History:
    """The record of one :func:`~smallnets_edu.train.fit` run.

    ``epochs`` holds one dict per finished epoch with the keys of ``EPOCH_KEYS`` (accuracies are
    fractions in [0, 1], ``lr`` is the learning rate of the epoch's last step, ``seconds`` the epoch's
    wall time including the evaluation, ``images_per_second`` the training throughput alone).
    ``interrupted`` is True when Ctrl-C stopped the run; ``diverged`` when the training loss stopped
    being a finite number (the last record is that epoch's, kept so the curve shows it; it never counts
    as the best epoch); ``config`` holds the settings it ran with.
    """

    model: str = "model"
    epochs: list[dict[str, float]] = field(default_factory=list)
    best_test_acc: float = 0.0
    best_epoch: int = 0
    interrupted: bool = False
    diverged: bool = False
    config: dict[str, Any] = field(default_factory=dict)

    # -- growing it -------------------------------------------------------------------------------------
    def append(self, record: dict[str, float]) -> bool:
        """Add one epoch's record; True when its test accuracy is the best so far."""
        missing = [k for k in EPOCH_KEYS if k not in record]
        if missing:
            raise ValueError(f"an epoch record needs the keys {', '.join(missing)}")
        self.epochs.append({k: record[k] for k in EPOCH_KEYS})
        # Strictly better only: on a tie the earlier epoch stays best (fewer epochs, same result).
        if not self.best_epoch or record["test_acc"] > self.best_test_acc:
            self.best_test_acc = float(record["test_acc"])
            self.best_epoch = int(record["epoch"])
            return True
        return False

    # -- reading it -------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.epochs)

    def column(self, key: str) -> list[float]:
        """One key across epochs, e.g. ``history.column("test_acc")``."""
        if key not in EPOCH_KEYS:
            raise ValueError(f"unknown history column {key!r}; columns are {', '.join(EPOCH_KEYS)}")
        return [e[key] for e in self.epochs]

    @property
    def last(self) -> dict[str, float] | None:
        """The last finished epoch's record (None before the first epoch ends)."""
        return self.epochs[-1] if self.epochs else None

    @property
    def final_test_acc(self) -> float:
        return self.epochs[-1]["test_acc"] if self.epochs else math.nan

    def summary(self) -> str:
        if not self.epochs:
            return f"{self.model}: no epoch finished" + (" (interrupted)" if self.interrupted else "")
        last = self.epochs[-1]
        text = (
            f"{self.model}: {len(self.epochs)} epoch(s), final test accuracy {last['test_acc']:.1%}, "
            f"best {self.best_test_acc:.1%} at epoch {self.best_epoch}, "
            f"{last['images_per_second']:,.0f} training images/s"
        )
        if self.diverged:
            return text + f" (diverged at epoch {last['epoch']})"
        return text + (" (interrupted: the best weights were loaded)" if self.interrupted else "")

    def __repr__(self) -> str:
        return f"History({self.summary()})"

    # -- saving it --------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain containers only (what JSON and ``torch.load(weights_only=True)`` accept)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        known = {"model", "epochs", "best_test_acc", "best_epoch", "interrupted", "diverged", "config"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"not a training history: unexpected keys {', '.join(unknown)}")
        return cls(
            model=str(d.get("model", "model")),
            epochs=[dict(e) for e in d.get("epochs", [])],
            best_test_acc=float(d.get("best_test_acc", 0.0)),
            best_epoch=int(d.get("best_epoch", 0)),
            interrupted=bool(d.get("interrupted", False)),
            diverged=bool(d.get("diverged", False)),
            config=dict(d.get("config", {})),
        )

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write the history as JSON (atomically: a reader never sees half a file)."""
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1, allow_nan=True) + "\n")

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> History:
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"no history file at {path}")
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not a JSON history file: {e}") from None
        return cls.from_dict(d)

    # -- plotting it ------------------------------------------------------------------------------------
    def plot(self, title: str | None = None):
        """Learning curves: loss (train, test) and accuracy (train, test) per epoch.

        Returns a matplotlib ``Figure`` made without pyplot, so a notebook shows it once (as the
        cell's value) and no global figure state leaks between lessons.
        """
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        fig = Figure(figsize=CURVES_FIGSIZE, layout="constrained")
        ax_loss, ax_acc = fig.subplots(1, 2)
        x = self.column("epoch")
        for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "acc", "accuracy")):
            ax.plot(x, self.column(f"train_{key}"), "o-", label="train", color="tab:blue")
            ax.plot(x, self.column(f"test_{key}"), "s-", label="test", color="tab:orange")
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
            if x:
                ax.set_xlim(0.5, max(x) + 0.5)
        ax_acc.set_ylim(0, 1)
        ax_acc.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        if self.best_epoch:
            ax_acc.axvline(self.best_epoch, color="gray", ls=":", lw=1)
            ax_acc.annotate(
                f"best {self.best_test_acc:.1%}",
                (self.best_epoch, self.best_test_acc),
                textcoords="offset points",
                xytext=(4, -14),
                fontsize=8,
            )
        ax_loss.legend(loc="upper right")
        suffix = " (interrupted)" if self.interrupted else ""
        fig.suptitle(title or f"{self.model}{suffix}")
        return fig


@dataclass
class Evaluation:
    """Accuracy of a model on one split, per class and as a confusion matrix.

    ``confusion[i, j]`` counts images of true class ``i`` predicted as class ``j`` (an int64 tensor).
    """

    accuracy: float
    loss: float
    per_class_accuracy: list[float]
    confusion: torch.Tensor
    classes: list[str]
    num_images: int

    def summary(self) -> str:
        worst = sorted(range(len(self.classes)), key=lambda i: self.per_class_accuracy[i])[:3]
        hardest = ", ".join(f"{self.classes[i]} {self.per_class_accuracy[i]:.0%}" for i in worst)
        return (
            f"accuracy {self.accuracy:.1%} on {self.num_images:,} images (loss {self.loss:.3f}); "
            f"hardest classes: {hardest}"
        )

    def __repr__(self) -> str:
        return f"Evaluation({self.summary()})"

    def most_confused(self, k: int = 5) -> list[tuple[str, str, int]]:
        """The ``k`` largest off-diagonal cells: (true class, predicted class, count)."""
        off = self.confusion.clone()
        off.fill_diagonal_(0)
        values, flat = off.flatten().sort(descending=True)
        n = len(self.classes)
        return [
            (self.classes[int(i) // n], self.classes[int(i) % n], int(v))
            for v, i in zip(values[:k], flat[:k], strict=True)
            if v > 0
        ]

    def plot_confusion(self, normalize: bool = True, title: str | None = None):
        """The confusion matrix as a heat map (rows: true class, columns: predicted class).

        ``normalize=True`` divides each row by its class count, so the diagonal reads as per-class
        accuracy whatever the class balance. Returns a matplotlib ``Figure``.
        """
        from matplotlib.figure import Figure

        cm = self.confusion.double()
        if normalize:
            cm = cm / cm.sum(dim=1, keepdim=True).clamp(min=1)
        n = len(self.classes)
        fig = Figure(figsize=CONFUSION_FIGSIZE, layout="constrained")
        ax = fig.subplots()
        image = ax.imshow(cm.numpy(), cmap="Blues", vmin=0, vmax=1 if normalize else None)
        fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class" if normalize else "images")
        ax.set_xticks(range(n), self.classes, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(n), self.classes, fontsize=8)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        if n <= 20:
            # Numbers in the cells only when they stay legible.
            top = float(cm.max()) or 1.0
            for i in range(n):
                for j in range(n):
                    v = float(cm[i, j])
                    text = f"{v:.2f}" if normalize else f"{int(v)}"
                    color = "white" if v > 0.6 * top else "black"
                    ax.text(j, i, text, ha="center", va="center", fontsize=6 if n > 10 else 8, color=color)
        ax.set_title(title or f"confusion matrix, accuracy {self.accuracy:.1%}")
        return fig
