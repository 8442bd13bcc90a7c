"""What a connectivity diagram draws: its steps, and which channels and pixels they connect.

Nothing here is drawn from a hand-made table. Each step is built as a real ``nn.Conv2d`` (or
:class:`~smallnets_edu.blocks.ChannelShuffle`) with every weight set to one, and a link is a non-zero
entry of what that layer computes on one-hot inputs; the pixel windows are read off the gradient of one
output pixel. With all-positive weights nothing can cancel, so the arrays say exactly what PyTorch
connects.

- :class:`Layer` is one step; :func:`conv`, :func:`depthwise` and :func:`shuffle` make them, and
  :func:`variant_layers` gives the steps of a named variant (:data:`KINDS`).
- :func:`links`, :func:`reach`, :func:`receptive_field` and :func:`origins` return the arrays the
  figures of :mod:`smallnets_edu.drawing.connectivity` draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from .. import cost
from ..blocks import ChannelShuffle

MAX_CHANNELS = 32  # more lines than this per column turn into a grey smear

KINDS = (
    "standard",
    "pointwise",
    "grouped",
    "depthwise",
    "separable",
    "spatial",
    "depthwise_spatial",
    "shuffle",
)
_ALIASES = {
    "conv": "standard",
    "1x1": "pointwise",
    "depthwise_separable": "separable",
    "spatially_separable": "spatial",
    "channel_shuffle": "shuffle",
}


# --------------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One column-to-column step of a diagram: a convolution or a channel shuffle.

    ``out_channels=None`` keeps the channel count; ``depthwise=True`` sets ``groups`` to the number of
    input channels when the layer is placed (and ``out_channels`` may then be a multiple of them).
    """

    op: str = "conv"  # "conv" or "shuffle"
    out_channels: int | None = None
    kernel: tuple[int, int] = (1, 1)
    groups: int = 1
    depthwise: bool = False
    label: str | None = None

    def resolve(self, in_channels: int) -> Layer:
        """This layer with its channel counts and groups made concrete for ``in_channels`` inputs."""
        out = in_channels if self.out_channels is None else self.out_channels
        groups = in_channels if self.depthwise else self.groups
        if self.op == "shuffle":
            out = in_channels
        if self.op not in ("conv", "shuffle"):
            raise ValueError(f"a diagram step is a 'conv' or a 'shuffle', got op={self.op!r}")
        kh, kw = self.kernel
        checks = (("channels", in_channels), ("out_channels", out), ("groups", groups))
        for name, value in (*checks, ("kernel height", kh), ("kernel width", kw)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if max(in_channels, out) > MAX_CHANNELS:
            raise ValueError(
                f"a diagram draws at most {MAX_CHANNELS} channels per column, got {max(in_channels, out)}; "
                "draw a smaller layer: the pattern is the same"
            )
        if in_channels % groups or out % groups:
            raise ValueError(
                f"groups={groups} must divide both the {in_channels} input and the {out} output channels; "
                f"choose channel counts that are multiples of {groups}"
            )
        return replace(self, out_channels=out, groups=groups, depthwise=False, label=self.label)

    def module(self, in_channels: int) -> nn.Module:
        """The PyTorch layer this step stands for, every weight set to one."""
        layer = self.resolve(in_channels)
        if layer.op == "shuffle":
            return ChannelShuffle(layer.groups)
        kh, kw = layer.kernel
        conv = nn.Conv2d(
            in_channels,
            layer.out_channels,
            (kh, kw),
            padding=(kh // 2, kw // 2),
            groups=layer.groups,
            bias=False,
        )
        nn.init.ones_(conv.weight)
        return conv

    def kind(self, in_channels: int) -> str:
        """The layer's kind in the vocabulary of :func:`smallnets_edu.cost.layer_kind`."""
        if self.op == "shuffle":
            return "shuffle"
        return cost.layer_kind(self.module(in_channels))

    def title(self, in_channels: int) -> str:
        if self.label:
            return self.label
        layer = self.resolve(in_channels)
        if layer.op == "shuffle":
            return f"shuffle, g={layer.groups}"
        kh, kw = layer.kernel
        kind = layer.kind(in_channels)
        size = f"{kh}×{kw}"
        if kind.startswith("depthwise"):
            return f"depthwise {size}"
        if kind.startswith("grouped"):
            return f"grouped {size}, g={layer.groups}"
        if kind == "pointwise":
            return "pointwise 1×1"
        return f"conv {size}"


def conv(
    out_channels: int | None = None,
    kernel: int | tuple[int, int] = 1,
    groups: int = 1,
    label: str | None = None,
) -> Layer:
    """A convolution step (``groups`` > 1 for a grouped one)."""
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    return Layer("conv", out_channels, kernel, groups, False, label)


def depthwise(kernel: int | tuple[int, int] = 3, multiplier: int = 1, label: str | None = None) -> Layer:
    """A depthwise step: one filter per input channel (``multiplier`` filters with a depth multiplier)."""
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    if multiplier == 1:
        return Layer("conv", None, kernel, 1, True, label)
    return _DepthwiseMultiplier(kernel=kernel, multiplier=multiplier, label=label)


@dataclass(frozen=True)
class _DepthwiseMultiplier(Layer):
    multiplier: int = 1

    def resolve(self, in_channels: int) -> Layer:
        return Layer(
            "conv", in_channels * self.multiplier, self.kernel, in_channels, False, self.label
        ).resolve(in_channels)


def shuffle(groups: int, label: str | None = None) -> Layer:
    """A channel shuffle step (a fixed permutation; no weights)."""
    return Layer("shuffle", None, (1, 1), groups, False, label)


def variant_layers(
    kind: str, in_channels: int = 8, out_channels: int | None = None, groups: int = 2, kernel: int = 3
) -> list[Layer]:
    """The steps that make up a named convolution variant."""
    kind = _ALIASES.get(kind, kind)
    n = out_channels
    if kind == "standard":
        return [conv(n, kernel, label=f"standard {kernel}×{kernel}")]
    if kind == "pointwise":
        return [conv(n, 1)]
    if kind == "grouped":
        return [conv(n, kernel, groups)]
    if kind == "depthwise":
        if n is not None and n % in_channels:
            raise ValueError(
                f"a depthwise layer keeps {in_channels} channels (or a multiple with a depth multiplier), "
                f"got out_channels={n}"
            )
        return [depthwise(kernel, 1 if n is None else n // in_channels)]
    if kind == "separable":
        return [depthwise(kernel), conv(n, 1)]
    if kind == "spatial":
        return [conv(n, (1, kernel)), conv(None, (kernel, 1))]
    if kind == "depthwise_spatial":
        return [depthwise((1, kernel)), depthwise((kernel, 1))]
    if kind == "shuffle":
        return [shuffle(groups)]
    raise ValueError(f"unknown convolution variant {kind!r}; choose one of {', '.join(KINDS)}")


def _placed(layers: Sequence[Layer | int], in_channels: int) -> list[tuple[Layer, int]]:
    """Each step resolved, with the channel count it receives. An int stands for a grouped 1x1 conv."""
    placed, channels = [], in_channels
    for layer in layers:
        if isinstance(layer, int) and not isinstance(layer, bool):
            layer = conv(None, 1, layer)
        if not isinstance(layer, Layer):
            raise ValueError(
                f"a diagram step is a Layer (conv(), depthwise(), shuffle()) or an int, got {layer!r}"
            )
        resolved = layer.resolve(channels)
        placed.append((layer, channels))
        channels = resolved.out_channels
    if not placed:
        raise ValueError("a diagram needs at least one layer")
    return placed


# --------------------------------------------------------------------------------------------------
# What connects to what, measured with PyTorch
# --------------------------------------------------------------------------------------------------


@torch.no_grad()
def _links_of(layer: Layer, in_channels: int) -> np.ndarray:
    module = layer.module(in_channels)
    one_hot = torch.eye(in_channels).view(in_channels, in_channels, 1, 1)  # image i lights channel i only
    out = module(one_hot)  # (input channel, output channel, h, w)
    return (out.abs().sum(dim=(2, 3)) > 0).T.numpy()


def links(layers: Sequence[Layer | int], in_channels: int) -> list[np.ndarray]:
    """For every step, a boolean matrix ``[out, in]``: True where input channel ``in`` feeds ``out``."""
    return [_links_of(layer, channels) for layer, channels in _placed(layers, in_channels)]


def _compose(steps: list[np.ndarray]) -> np.ndarray:
    total = steps[0]
    for step in steps[1:]:
        total = (step.astype(int) @ total.astype(int)) > 0
    return total


def reach(layers: Sequence[Layer | int], in_channels: int) -> np.ndarray:
    """Boolean ``[out, in]`` for the whole stack: can input channel ``in`` influence output ``out``?"""
    return _compose(links(layers, in_channels))


def receptive_field(layers: Sequence[Layer | int], in_channels: int) -> np.ndarray:
    """Boolean ``[h, w]``: the input pixels that feed the centre pixel of the last output.

    Read off the gradient of that pixel through the stack of all-ones layers.
    """
    placed = _placed(layers, in_channels)
    rh = sum(layer.resolve(c).kernel[0] // 2 for layer, c in placed)
    rw = sum(layer.resolve(c).kernel[1] // 2 for layer, c in placed)
    x = torch.ones(1, in_channels, 2 * rh + 1, 2 * rw + 1, requires_grad=True)
    y = x
    for layer, channels in placed:
        y = layer.module(channels)(y)
    y[0, :, rh, rw].sum().backward()
    return (x.grad.abs().sum(dim=(0, 1)) > 0).numpy()


def _origins_from(steps: list[np.ndarray], in_channels: int, colour_groups: int) -> list[list[frozenset]]:
    if isinstance(colour_groups, bool) or not isinstance(colour_groups, int) or colour_groups < 1:
        raise ValueError(f"colour_groups must be a positive integer, got {colour_groups!r}")
    if in_channels % colour_groups:
        raise ValueError(f"colour_groups={colour_groups} must divide the {in_channels} input channels")
    size = in_channels // colour_groups
    columns = [[frozenset({i // size}) for i in range(in_channels)]]
    for step in steps:
        prev = columns[-1]
        columns.append([frozenset().union(*(prev[i] for i in np.flatnonzero(row))) for row in step])
    return columns


def origins(layers: Sequence[Layer | int], in_channels: int, colour_groups: int) -> list[list[frozenset]]:
    """For every column (input first), the set of input groups that reach each channel.

    The input's channels are split into ``colour_groups`` equal, consecutive groups.
    """
    return _origins_from(links(layers, in_channels), in_channels, colour_groups)


__all__ = [
    "KINDS",
    "MAX_CHANNELS",
    "Layer",
    "conv",
    "depthwise",
    "links",
    "origins",
    "reach",
    "receptive_field",
    "shuffle",
    "variant_layers",
]
