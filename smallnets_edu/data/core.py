"""The containers every loader returns (``Split``, ``Dataset``) and the errors they raise."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F


class DatasetUnavailable(RuntimeError):
    """The files are not here and could not be downloaded; the message says what to fetch and where."""


class CorruptDataError(ValueError):
    """A file failed its checksum or could not be unpacked; the message says which and what to do."""


@dataclass
class Split:
    """Images and labels of one split, held whole in memory as compact uint8."""

    images: torch.Tensor  # uint8, (N, 3, H, W), contiguous
    labels: torch.Tensor  # int64, (N,)

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4 or self.images.shape[1] != 3:
            shape = tuple(self.images.shape)
            raise ValueError(f"images must be uint8 of shape (N, 3, H, W), got {self.images.dtype} {shape}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"{self.images.shape[0]} images but labels of shape {tuple(self.labels.shape)}")
        self.images = self.images.contiguous()
        self.labels = self.labels.to(torch.int64)

    def __len__(self) -> int:
        return self.images.shape[0]


@dataclass
class Dataset:
    """A train and a test split with class names and the train set's channel statistics."""

    name: str
    train: Split
    test: Split
    classes: list[str]
    mean: tuple[float, float, float]  # per-channel mean of the train images, in [0, 1]
    std: tuple[float, float, float]
    notice: str | None = None  # set when this is a fallback: what to download and where

    @property
    def resolution(self) -> int:
        """Side of the (square) images in pixels."""
        return int(self.train.images.shape[-1])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def subset(self, train_size: int | None, test_size: int | None, seed: int = 0) -> Dataset:
        """A smaller copy: ``train_size`` / ``test_size`` images (None keeps a split whole).

        Deterministic for a seed, and balanced: classes take turns, each in random order, so any
        prefix holds every class about equally often. Sizes above a split's length keep it whole.
        ``mean`` and ``std`` stay those of the full training set, so a model trained on a subset
        normalises its inputs like one trained on everything.
        """
        g = torch.Generator().manual_seed(seed)
        return replace(
            self,
            train=_balanced_subset(self.train, train_size, g),
            test=_balanced_subset(self.test, test_size, g),
        )

    def first_classes(self, count: int) -> Dataset:
        """Only the images of the first ``count`` classes (labels keep their numbers): a smaller
        problem of the same kind, e.g. 20 of CIFAR-100's classes for a short training."""
        if not isinstance(count, int) or not 1 <= count <= self.num_classes:
            raise ValueError(f"count must be a whole number from 1 to {self.num_classes}, got {count!r}")

        def keep(split: Split) -> Split:
            chosen = split.labels < count
            return Split(split.images[chosen], split.labels[chosen])

        return replace(self, train=keep(self.train), test=keep(self.test), classes=self.classes[:count])

    def resized(self, resolution: int) -> Dataset:
        """The same images at another side (antialiased bilinear, both splits): the resolution
        multiplier applied to the data, as MobileNet's rho is (same mean, std and notice)."""
        if not isinstance(resolution, int) or resolution < 8:
            raise ValueError(f"resolution must be a whole number of pixels, at least 8; got {resolution!r}")
        train = Split(resize_images(self.train.images, resolution), self.train.labels)
        test = Split(resize_images(self.test.images, resolution), self.test.labels)
        return replace(self, train=train, test=test)

    def __repr__(self) -> str:
        r = self.resolution
        return (
            f"Dataset({self.name!r}, train={len(self.train)}, test={len(self.test)}, {r}x{r}, "
            f"{self.num_classes} classes{', fallback' if self.notice else ''})"
        )


def _balanced_subset(split: Split, size: int | None, g: torch.Generator) -> Split:
    n = len(split)
    if size is None or size >= n:
        return split
    if size < 0:
        raise ValueError(f"subset size must be >= 0 or None, got {size}")
    # Rank of each image within its class in a random order; sorting by (rank, random position)
    # interleaves the classes, so the first `size` images are as balanced as the classes allow.
    perm = torch.randperm(n, generator=g)
    labels = split.labels[perm]
    by_class = torch.argsort(labels, stable=True)
    sorted_labels = labels[by_class]
    first = torch.searchsorted(sorted_labels, sorted_labels, side="left")
    rank = torch.empty(n, dtype=torch.int64)
    rank[by_class] = torch.arange(n) - first
    order = torch.argsort(rank * n + torch.arange(n), stable=True)
    chosen = torch.sort(perm[order[:size]]).values  # back in dataset order: stable across seeds' overlap
    return Split(split.images[chosen], split.labels[chosen])


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation of uint8 images, in [0, 1] units.

    Summed in float64 over chunks: exact enough for 100k images and never a float copy of the split.
    """
    if images.shape[0] == 0:
        return (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
    total = torch.zeros(3, dtype=torch.float64)
    total_sq = torch.zeros(3, dtype=torch.float64)
    for start in range(0, images.shape[0], 2048):
        chunk = images[start : start + 2048].to(torch.float64)
        total += chunk.sum(dim=(0, 2, 3))
        total_sq += chunk.square().sum(dim=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    std = (total_sq / count - mean.square()).clamp_min(0).sqrt()
    return tuple((mean / 255).tolist()), tuple((std / 255).clamp_min(1e-3).tolist())


def resize_images(images: torch.Tensor, resolution: int) -> torch.Tensor:
    """uint8 images resized to ``resolution`` (antialiased bilinear), in chunks to bound memory."""
    if images.shape[-1] == resolution and images.shape[-2] == resolution:
        return images
    out = torch.empty(images.shape[0], 3, resolution, resolution, dtype=torch.uint8)
    for start in range(0, images.shape[0], 1024):
        chunk = images[start : start + 1024].float()
        chunk = F.interpolate(chunk, size=(resolution, resolution), mode="bilinear", antialias=True)
        out[start : start + 1024] = chunk.round_().clamp_(0, 255).to(torch.uint8)
    return out


def make_dataset(
    name: str, train: Split, test: Split, classes: list[str], notice: str | None = None
) -> Dataset:
    """A ``Dataset`` with its channel statistics computed from the train split."""
    mean, std = channel_stats(train.images)
    return Dataset(name, train, test, list(classes), mean, std, notice)
