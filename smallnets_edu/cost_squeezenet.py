"""SqueezeNet's size and cost as its paper counts them, for any squeeze ratio and share of 3x3 filters.

- Sizes are in MB of 2**20 bytes, as the paper's (Iandola et al. 2016, arXiv:1602.07360): 1,248,424
  parameters x 4 bytes = 4.76MB ("4.8MB"). :func:`dense_size` is the paper's "model size", every
  parameter at ``bits`` bits; :func:`megabytes` converts bytes to that MB.
- :func:`squeezenet_cost` gives SqueezeNet's parameters and multiply-accumulates for any squeeze ratio
  and share of 3x3 filters in microseconds (lesson 02's explorer), from the paper's metaparameters and
  the map sizes of one profiled model (:func:`smallnets_edu.cost.profile`).

:mod:`smallnets_edu.compression` re-exports these names beside Deep Compression's.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import nn

from . import cost, models
from .models import squeezenet

MB = 2**20  # bytes in the paper's "MB"


def megabytes(nbytes: int | float) -> float:
    """Bytes in the paper's MB (2**20 bytes)."""
    return nbytes / MB


def dense_size(model: nn.Module, bits: int = 32) -> int:
    """Bytes of every parameter at ``bits`` bits, no index and no header: the paper's "model size"."""
    if isinstance(bits, bool) or not isinstance(bits, int) or bits < 1:
        raise ValueError(f"bits must be a positive integer, got {bits!r}")
    return math.ceil(sum(p.numel() for p in model.parameters()) * bits / 8)


# --------------------------------------------------------------------------------------------------
# SqueezeNet's cost from its metaparameters (lesson 02's explorer)
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _squeezenet_frame(version: str, variant: str, resolution: int, width_mult: float, num_classes: int):
    """Costs that do not depend on SR or pct3x3: conv1, and the map side of every Fire and of conv10."""
    with torch.device("meta"):
        model = models.build(
            f"squeezenet{version}", variant=variant, width_mult=width_mult, num_classes=num_classes
        )
    prof = cost.profile(model, resolution)
    rows = {row.name: row for row in prof.layers}
    conv1 = rows["features.conv1.0"]
    fire_areas = tuple(
        rows[f"features.fire{i}.squeeze.0"].output_shape[2]
        * rows[f"features.fire{i}.squeeze.0"].output_shape[3]
        for i in range(2, 10)
    )
    conv10 = rows["classifier.conv10.0"]
    largest_fixed = max(
        row.activation_bytes // prof.bytes_per_value
        for row in prof.layers
        if row.name == "features.conv1.0" or row.kind == "pool"
    )
    return conv1.params, conv1.macs, conv1.output_shape[1], fire_areas, conv10.output_shape[2:], largest_fixed


@dataclass(frozen=True)
class SqueezeNetCost:
    params: int  # weights + biases
    macs: int  # multiply-accumulates of the convolutions
    largest_activation: int  # values in the largest single activation map (one image)
    fires: tuple[tuple[int, int, int], ...]  # (s1x1, e1x1, e3x3) of fire2 .. fire9

    @property
    def size_mb(self) -> float:
        """Model size at 32 bits, in the paper's MB."""
        return megabytes(4 * self.params)


@functools.lru_cache(maxsize=4096)
def squeezenet_cost(
    squeeze_ratio: float = 0.125,
    pct3x3: float = 0.5,
    resolution: int = 224,
    version: str = "1_0",
    variant: str = "imagenet",
    width_mult: float = 1.0,
    num_classes: int = 1000,
) -> SqueezeNetCost:
    """Parameters, MACs and the largest activation of a SqueezeNet, without building it.

    A Fire module with ``M`` inputs, ``s`` squeeze, ``e1`` and ``e3`` expand filters on an ``H x W``
    map has ``M*s + s*e1 + 9*s*e3`` weights (plus ``s + e1 + e3`` biases) and ``H*W`` times as many
    multiply-accumulates as weights. The Fire sizes come from the model's own ``fire_config`` and the
    map sizes from one profile of the network (cached), so this agrees exactly with
    ``cost.profile(models.build(...))``; the tests check it.
    """
    if version not in ("1_0", "1_1"):
        raise ValueError(f"version must be '1_0' or '1_1', got {version!r}")
    conv1_params, conv1_macs, channels, areas, (h10, w10), largest = _squeezenet_frame(
        version, variant, resolution, float(width_mult), num_classes
    )
    fires = squeezenet.fire_config(squeeze_ratio, pct3x3, width_mult=width_mult)
    params, macs = conv1_params, conv1_macs
    for (s, e1, e3), area in zip(fires, areas, strict=True):
        weights = channels * s + s * e1 + 9 * s * e3
        params += weights + s + e1 + e3
        macs += weights * area
        largest = max(largest, (e1 + e3) * area)
        channels = e1 + e3
    params += channels * num_classes + num_classes
    macs += channels * num_classes * h10 * w10
    return SqueezeNetCost(params, macs, largest, tuple(fires))


__all__ = [
    "MB",
    "SqueezeNetCost",
    "dense_size",
    "megabytes",
    "squeezenet_cost",
]
