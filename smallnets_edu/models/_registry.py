"""The model registry: one entry point, ``build(name, ...)``, and a name for every architecture."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

VARIANTS = ("imagenet", "cifar", "tiny")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    builder: Callable[..., nn.Module]
    paper: str
    variants: tuple[str, ...]


_REGISTRY: dict[str, ModelInfo] = {}


def register(name: str, paper: str, variants: tuple[str, ...] = VARIANTS):
    """Decorator: make ``builder(num_classes=, width_mult=, variant=, **options)`` buildable as ``name``."""

    def wrap(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model name {name!r} is registered twice")
        _REGISTRY[name] = ModelInfo(name, builder, paper, variants)
        return builder

    return wrap


def names() -> list[str]:
    """Every model name ``build`` accepts, sorted."""
    return sorted(_REGISTRY)


def info(name: str) -> ModelInfo:
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; valid names are: {', '.join(names())}")
    return _REGISTRY[name]


def options(name: str) -> dict[str, object]:
    """The family-specific options of ``name`` and their defaults."""
    params = inspect.signature(info(name).builder).parameters
    return {
        p.name: p.default
        for p in params.values()
        if p.kind is p.KEYWORD_ONLY and p.name not in ("num_classes", "width_mult", "variant")
    }


def build(
    name: str, *, num_classes: int = 1000, width_mult: float = 1.0, variant: str = "imagenet", **opts
) -> nn.Module:
    """Build the architecture ``name``.

    ``variant="imagenet"`` is the paper's network; ``"cifar"`` (32x32 inputs) and ``"tiny"`` (64x64,
    Tiny-ImageNet) downsample less early on: each family's docstring says which strides changed.
    Input resolution is not a constructor argument: feed any size from the model's
    ``min_resolution`` up.
    """
    entry = info(name)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    if isinstance(width_mult, bool) or not isinstance(width_mult, (int, float)) or not width_mult > 0:
        raise ValueError(f"width_mult must be a number greater than 0, got {width_mult!r}")
    if variant not in entry.variants:
        hint = "" if variant in VARIANTS else f" (variants are {', '.join(VARIANTS)})"
        raise ValueError(f"{name} has no {variant!r} variant{hint}; it supports: {', '.join(entry.variants)}")
    valid = options(name)
    unknown = sorted(set(opts) - set(valid))
    if unknown:
        listed = ", ".join(f"{k}={v!r}" for k, v in valid.items()) or "none"
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for {name}; its options are: {listed}")
    model = entry.builder(num_classes=num_classes, width_mult=float(width_mult), variant=variant, **opts)
    model.name = name
    model.variant = variant
    return model


class SmallNet(nn.Module):
    """What every model of the course is: ``features`` then ``classifier``, with an input-size check.

    ``min_resolution`` is the smallest input side the network accepts; a smaller input raises a
    ValueError that names it, instead of a shape error from deep inside.
    """

    def __init__(self, features: nn.Module, classifier: nn.Module, min_resolution: int) -> None:
        super().__init__()
        self.features = features
        self.classifier = classifier
        self.min_resolution = min_resolution

    def check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4:
            raise ValueError(f"expected a batch of images shaped (N, C, H, W), got shape {tuple(x.shape)}")
        h, w = x.shape[-2:]
        if min(h, w) < self.min_resolution:
            name = getattr(self, "name", type(self).__name__)
            variant = getattr(self, "variant", "")
            raise ValueError(
                f"{name} ({variant}) needs inputs of at least {self.min_resolution}x{self.min_resolution} "
                f"pixels, got {h}x{w}; use a larger input or a variant made for small images "
                f"(variant='cifar' for 32x32, 'tiny' for 64x64)"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.classifier(self.features(x))
