"""The model registry: one entry point, ``build(name, ...)``, and a name for every architecture."""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import torch
from torch import nn

VARIANTS = ("imagenet", "cifar", "tiny")
# The papers build widths up to 2x (ShuffleNet 2x); 4x leaves room to explore, and above it a network of
# the course would outgrow a laptop's memory long before it taught anything new.
MAX_WIDTH = 4.0
# About 0.4 GB of float32 weights and 1.6 GB to train them (gradients and momentum): the largest network
# the course builds. MobileNet at 4x holds 67M parameters.
MAX_PARAMETERS = 100_000_000


@dataclass(frozen=True)
class ModelInfo:
    name: str
    builder: Callable[..., nn.Module]
    paper: str
    variants: tuple[str, ...]

    @property
    def family(self) -> ModuleType:
        """The module that defines the family: its paper's table, ``PUBLISHED`` figures, blocks."""
        return sys.modules[self.builder.__module__]


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


@dataclass(frozen=True)
class BuildSpec:
    """Everything :func:`build` needs to make a network again: family, variant, width, classes, options.

    ``build`` records one on every model it makes (``model.spec``), with every family option filled in,
    defaults included; checkpoints store it as plain data, so ``train.load_model(path)`` rebuilds
    exactly the network that was trained.
    """

    name: str
    variant: str
    num_classes: int
    width_mult: float
    options: dict[str, Any] = field(default_factory=dict)

    FIELDS = ("name", "variant", "num_classes", "width_mult", "options")

    def to_dict(self) -> dict[str, Any]:
        return {key: (dict(self.options) if key == "options" else getattr(self, key)) for key in self.FIELDS}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BuildSpec:
        missing = [key for key in cls.FIELDS if d.get(key) is None]
        if missing:
            raise ValueError(f"the build description {d!r} lacks {', '.join(missing)}")
        return cls(
            str(d["name"]),
            str(d["variant"]),
            int(d["num_classes"]),
            float(d["width_mult"]),
            dict(d["options"]),
        )

    def build(self) -> nn.Module:
        """A new network, initialised afresh, with exactly this architecture."""
        return build(
            self.name,
            num_classes=self.num_classes,
            width_mult=self.width_mult,
            variant=self.variant,
            **self.options,
        )

    def describe(self) -> str:
        """``shufflenet_v1 (cifar, width 0.5, 10 classes, groups=8)``: options shown where not default."""
        defaults = options(self.name) if self.name in _REGISTRY else {}
        changed = [f"{k}={v!r}" for k, v in self.options.items() if defaults.get(k, object()) != v]
        details = [self.variant, f"width {self.width_mult:g}", f"{self.num_classes} classes", *changed]
        return f"{self.name} ({', '.join(details)})"

    def differences(self, other: BuildSpec) -> list[str]:
        """``["groups: 8 here, 3 there", ...]``: every field (options one by one) where the specs differ."""
        mine, theirs = self.to_dict(), other.to_dict()
        mine.update({f"option {k}": v for k, v in mine.pop("options").items()})
        theirs.update({f"option {k}": v for k, v in theirs.pop("options").items()})
        unset = "not set"
        return [
            f"{key}: {mine.get(key, unset)!r} here, {theirs.get(key, unset)!r} there"
            for key in dict.fromkeys([*mine, *theirs])
            if mine.get(key, unset) != theirs.get(key, unset)
        ]


def _check_size(name: str, make: Callable[[], nn.Module], width_mult: float) -> None:
    """Refuse a network too large to train here, saying how much memory it would take.

    The network is first built on PyTorch's ``meta`` device (shapes only, no memory, no random numbers
    drawn), so a width of 100 fails at once with its size instead of after a long allocation.
    """
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        count = sum(p.numel() for p in make().parameters())
    if count <= MAX_PARAMETERS and width_mult <= MAX_WIDTH:
        return
    gib = count * 4 / 2**30
    why = (
        f"width_mult={width_mult:g} is above the ceiling of {MAX_WIDTH:g}"
        if width_mult > MAX_WIDTH
        else f"that is above the ceiling of {MAX_PARAMETERS / 1e6:.0f}M parameters"
    )
    raise ValueError(
        f"{name} with these settings would have {count / 1e6:,.1f}M parameters ({gib:,.1f} GiB of float32 "
        f"weights, about {4 * gib:,.1f} GiB to train): {why}; use a smaller width_mult or option value "
        f"(the papers go up to width 2)"
    )


def _check_option_values(name: str, opts: dict[str, Any]) -> None:
    for key, value in opts.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"option {key} of {name} must be a finite number, got {value!r}")


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
    if (
        isinstance(width_mult, bool)
        or not isinstance(width_mult, (int, float))
        or not math.isfinite(width_mult)
        or not width_mult > 0
    ):
        raise ValueError(
            f"width_mult must be a finite number greater than 0 (the papers use 0.25 to 2), "
            f"got {width_mult!r}"
        )
    if variant not in entry.variants:
        hint = "" if variant in VARIANTS else f" (variants are {', '.join(VARIANTS)})"
        raise ValueError(f"{name} has no {variant!r} variant{hint}; it supports: {', '.join(entry.variants)}")
    valid = options(name)
    unknown = sorted(set(opts) - set(valid))
    if unknown:
        listed = ", ".join(f"{k}={v!r}" for k, v in valid.items()) or "none"
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for {name}; its options are: {listed}")
    _check_option_values(name, opts)
    spec = BuildSpec(name, variant, num_classes, float(width_mult), {**valid, **opts})

    def make() -> nn.Module:
        return entry.builder(num_classes=num_classes, width_mult=spec.width_mult, variant=variant, **opts)

    if width_mult > 2 or any(isinstance(v, (int, float)) and v != valid[k] for k, v in opts.items()):
        # Within the papers' widths and at the default options every network is small: no need to look.
        _check_size(name, make, spec.width_mult)
    model = make()
    model.spec = spec
    model.name = name
    model.variant = variant
    return model


def build_meta(name: str, **kwargs: Any) -> nn.Module:
    """``build`` on PyTorch's meta device: shapes without weights, instant even for large networks.

    Enough to count parameters and multiply-accumulates (``cost.profile`` runs on it); not to run.
    """
    with torch.device("meta"):
        return build(name, **kwargs)


# What a network without shortcuts (MobileNet v1, FD-MobileNet, EffNet) asks of ``train.fit``: AdamW
# instead of SGD. In a deep stack of BatchNorm layers without shortcuts the gradients grow towards the
# input (Yang et al. 2019, "A mean field theory of batch normalization"): at initialisation MobileNet
# v1's first convolution has a gradient 5x its weights' norm, ShuffleNet's 0.1x. One SGD rate cannot
# suit both ends of such a network; AdamW sizes every weight's step by that weight's own gradients.
# Measured at the laptop budget on the offline set, mean of three seeds (README): MobileNet v1 33% with
# SGD (rates 0.05-0.2, longer warm-up, gradient clipping, other initialisations no better), 90% with
# AdamW at the budget's 2e-2; FD-MobileNet 73% -> 92%; EffNet 82% -> 91%. The networks with
# shortcuts learn fast with SGD.
NO_SHORTCUT_RECIPE: dict[str, float | str] = {"optimizer": "adamw"}


class SmallNet(nn.Module):
    """What every model of the course is: ``features`` then ``classifier``, with an input-size check.

    ``min_resolution`` is the smallest input side the network accepts; a smaller input raises a
    ValueError that names it, instead of a shape error from deep inside. ``recipe_defaults`` holds
    training settings the network asks of ``train.fit`` (``optimizer``, ``lr_scale``, ...): empty for
    the networks with shortcuts; see ``NO_SHORTCUT_RECIPE`` and SqueezeNet for the others.
    """

    def __init__(self, features: nn.Module, classifier: nn.Module, min_resolution: int) -> None:
        super().__init__()
        self.features = features
        self.classifier = classifier
        self.min_resolution = min_resolution
        self.recipe_defaults: dict[str, Any] = {}

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
