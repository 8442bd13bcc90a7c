"""Activation memory: which tensors a forward pass makes, and which must exist whole.

MobileNetV2's argument (Sandler et al. 2018, arXiv 1801.04381, Section 5.1): everything between the two
1x1 convolutions of an inverted residual block works channel by channel, so the wide inner tensor can
be produced in slices (:mod:`smallnets_edu.streamed_inference`) and only the tensors passed between
blocks must be held whole. The same holds wherever a layer is followed by per-channel work (the first
convolution before a depthwise layer or a max pool, the last 1x1 convolution before the average pool).
Table 3 of the paper counts, at each spatial resolution, the largest tensor that must be materialised;
this module computes that table from our models.

- :func:`tensors` runs one image through a model and lists every tensor it makes, each flagged
  ``materialised`` (a tensor passed between blocks, which streamed inference must hold whole) or not
  (a tensor inside a block, or one that flows straight into per-channel work).
- :func:`largest` keeps the largest tensor at each spatial size: over every tensor (layer-by-layer
  inference) or over the materialised ones (streamed inference); :func:`peak` keeps the single largest.
  ``TABLE3_ARXIV_V4`` and ``TABLE3_MAX`` hold the paper's two printings of Table 3.

Units: Table 3 prints "Kb" of 16-bit values; its numbers are thousands of bytes (112 x 112 x 64
values x 2 bytes = 1,605,632 bytes is printed 1600), so :func:`kb` divides by 1000.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .blocks import DepthwiseSeparable
from .cost import run_hooked
from .models.mobilenet_v2 import InvertedResidual
from .models.shufflenet_v1 import ShuffleUnit

BLOCKS = (InvertedResidual, ShuffleUnit, DepthwiseSeparable)
_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_SKIP = (nn.Flatten, nn.Dropout, nn.Identity)  # make no new tensor (a view, or nothing in eval mode)

# MobileNetV2 Table 3 (arXiv v4): per resolution, (max channels, memory in Kb of 16-bit values) for
# MobileNetV1, MobileNetV2 and ShuffleNet (2x, g=3).
TABLE3_ARXIV_V4: dict[str, dict[int, tuple[int, int]]] = {
    "MobileNetV1": {
        112: (64, 1600),
        56: (128, 800),
        28: (256, 400),
        14: (512, 200),
        7: (1024, 199),
        1: (1024, 2),
    },
    "MobileNetV2": {112: (16, 400), 56: (32, 200), 28: (64, 100), 14: (160, 62), 7: (320, 32), 1: (1280, 2)},
    "ShuffleNet (2x, g=3)": {
        112: (32, 800),
        56: (48, 300),
        28: (400, 600),
        14: (800, 310),
        7: (1600, 156),
        1: (1600, 3),
    },
}
# The "max" row of Table 3 in the two printings (Kb).
TABLE3_MAX: dict[str, dict[str, int]] = {
    "arXiv v4": {"MobileNetV1": 1600, "MobileNetV2": 400, "ShuffleNet (2x, g=3)": 600},
    "CVPR 2018": {"MobileNetV1": 800, "MobileNetV2": 200, "ShuffleNet (2x, g=3)": 600},
}


def kb(n_bytes: float) -> float:
    """Table 3's unit: thousands of bytes."""
    return n_bytes / 1000


# --------------------------------------------------------------------------------------------------
# Which tensors a network makes, and which must exist whole
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tensor:
    """One tensor of a forward pass (batch 1)."""

    name: str  # the module that made it ("input" for the image)
    channels: int
    height: int
    width: int
    materialised: bool  # must streamed inference hold it whole?
    unit: str  # the block (or top-level layer) it belongs to

    @property
    def values(self) -> int:
        return self.channels * self.height * self.width

    def bytes(self, bytes_per_value: int = 2) -> int:
        return self.values * bytes_per_value

    @property
    def side(self) -> tuple[int, int]:
        return (self.height, self.width)


def _units(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model as a flat sequence of blocks and top-level layers, in execution order.

    ``SmallNet`` is ``features`` then ``classifier``; a ``Sequential`` of blocks (a stage, a row of
    Table 2) is opened up so each block is one unit.
    """
    names = {m: n for n, m in model.named_modules()}
    parts = [model.features, model.classifier] if hasattr(model, "features") else [model]

    def walk(module: nn.Module) -> list[tuple[str, nn.Module]]:
        if isinstance(module, nn.Sequential) and not isinstance(module, BLOCKS) and not _is_conv_unit(module):
            return [unit for child in module.children() for unit in walk(child)]
        return [(names[module], module)]

    units = [unit for part in parts for unit in walk(part)]
    return [(n, m) for n, m in units if not isinstance(m, _SKIP)]


def _is_conv_unit(module: nn.Module) -> bool:
    """A convolution with its BatchNorm and activation (``ConvBNAct``): one layer, not a stage."""
    children = list(module.children())
    return bool(children) and isinstance(children[0], nn.Conv2d) and not isinstance(module, BLOCKS)


def _first_op(module: nn.Module) -> nn.Module | None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, *_POOLS)):
            return m
    return None


def starts_per_channel(module: nn.Module) -> bool:
    """Does ``module`` begin with work done channel by channel (a depthwise conv or a pooling)?

    Then the tensor feeding it can be produced a few channels at a time and never held whole.
    """
    first = _first_op(module)
    if isinstance(first, _POOLS):
        return True
    return isinstance(first, nn.Conv2d) and first.groups == first.in_channels and first.groups > 1


def tensors(model: nn.Module, resolution: int | tuple[int, int] = 224, in_channels: int = 3) -> list[Tensor]:
    """Every tensor one forward pass makes, in order, each flagged ``materialised`` or not.

    Recorded: the input; the output of every block and top-level layer; inside blocks, the output of
    every convolution and pooling. BatchNorm and activations work in place on a convolution's output
    and add no tensor of their own.

    ``materialised`` (what streamed inference must hold whole): the input, every block's output, the
    pooled features and the logits; a top-level convolution's output too, unless the next unit starts
    with per-channel work (:func:`starts_per_channel`), as MobileNetV2's first and last convolutions,
    MobileNet's first convolution and ShuffleNet's first convolution (before its max pool) do.
    """
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    units = _units(model)
    unit_of = {m: n for n, m in units}
    names = {m: n for n, m in model.named_modules()}
    stream_into_next = {
        units[i][1]: _is_conv_unit(units[i][1]) and starts_per_channel(units[i + 1][1])
        for i in range(len(units) - 1)
    }
    records = [Tensor("input", in_channels, h, w, True, "input")]
    current_unit: list[str] = ["input"]

    def record(module: nn.Module, output: torch.Tensor, materialised: bool) -> None:
        c, hh, ww = (output.shape[1], *output.shape[2:]) if output.dim() == 4 else (output.shape[-1], 1, 1)
        records.append(Tensor(names[module], int(c), int(hh), int(ww), materialised, current_unit[0]))

    def unit_pre(module, _inputs):
        current_unit[0] = unit_of[module]

    def unit_hook(module, _inputs, output):
        record(module, output, not stream_into_next.get(module, False))

    def inner_hook(module, _inputs, output):
        record(module, output, False)

    handles = []
    for _, unit in units:
        handles.append(unit.register_forward_pre_hook(unit_pre))
        if isinstance(unit, BLOCKS):
            for inner in unit.modules():
                if isinstance(inner, (nn.Conv2d, *_POOLS)):
                    handles.append(inner.register_forward_hook(inner_hook))
        handles.append(unit.register_forward_hook(unit_hook))
    run_hooked(model, handles, (h, w), in_channels)
    return records


def largest(records: list[Tensor], streamed: bool = True) -> dict[tuple[int, int], Tensor]:
    """The largest tensor at each spatial size (largest first by size): over the materialised tensors
    when ``streamed``, over every tensor otherwise (layer-by-layer inference)."""
    out: dict[tuple[int, int], Tensor] = {}
    for t in records:
        if streamed and not t.materialised:
            continue
        if t.side not in out or t.values > out[t.side].values:
            out[t.side] = t
    return dict(sorted(out.items(), key=lambda item: -item[0][0] * item[0][1]))


def peak(records: list[Tensor], streamed: bool = True) -> Tensor:
    """The single largest tensor that must exist whole."""
    return max(largest(records, streamed).values(), key=lambda t: t.values)


__all__ = [
    "BLOCKS",
    "TABLE3_ARXIV_V4",
    "TABLE3_MAX",
    "Tensor",
    "kb",
    "largest",
    "peak",
    "starts_per_channel",
    "tensors",
]
