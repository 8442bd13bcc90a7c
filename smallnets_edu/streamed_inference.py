"""MobileNetV2's memory-efficient inference (Sandler et al. 2018, arXiv 1801.04381, Section 5.1).

An inverted residual block is

    x (narrow) -> 1x1 expand -> ReLU6 -> 3x3 depthwise -> ReLU6 -> 1x1 project -> y (narrow)

and everything between the two 1x1 convolutions works channel by channel. So the wide inner tensor
can be produced in slices: take a few of its channels, run them through the depthwise layer, multiply
them by the matching columns of the projection and add the result into ``y``; then the next few. Only
``x``, ``y`` and one slice exist at once.

:func:`sliced_forward` runs an :class:`~smallnets_edu.models.mobilenet_v2.InvertedResidual` slice by
slice, exactly equal to the block, and reports how much it held at once (a :class:`SlicedRun`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .models.mobilenet_v2 import InvertedResidual

# --------------------------------------------------------------------------------------------------
# An inverted residual, slice by slice
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlicedRun:
    """The result of :func:`sliced_forward` and what it held in memory (values, batch included)."""

    output: torch.Tensor
    slices: int
    peak_values: int  # the most values held at once: input, output accumulator, one slice
    layer_by_layer_values: int  # the same when each layer runs whole (what one slice does)

    def saving(self) -> float:
        return self.layer_by_layer_values / self.peak_values


def _bn(x: torch.Tensor, bn: nn.BatchNorm2d, index: slice) -> torch.Tensor:
    def part(t):
        return None if t is None else t[index]

    return F.batch_norm(
        x, part(bn.running_mean), part(bn.running_var), part(bn.weight), part(bn.bias), False, 0.0, bn.eps
    )


def _layer_by_layer(block: InvertedResidual, x: torch.Tensor, out: torch.Tensor) -> int:
    """Values held at the busiest moment when each layer runs whole: its input and output (and the
    block's input, kept for the shortcut)."""
    n, _, h, w = x.shape
    ho, wo = out.shape[2:]
    expanded, filtered = n * block.hidden * h * w, n * block.hidden * ho * wo
    keep = x.numel() if block.use_residual else 0
    if block.expand is None:  # the depthwise layer reads x itself
        return max(x.numel() + filtered, keep + filtered + out.numel())
    return max(x.numel() + expanded, keep + expanded + filtered, keep + filtered + out.numel())


def sliced_forward(block: InvertedResidual, x: torch.Tensor, slices: int) -> SlicedRun:
    """Run ``block`` (in eval mode) with its expanded tensor cut into ``slices`` groups of channels.

    For each group: expand those channels (1x1 conv, BN, ReLU6), filter them (depthwise 3x3, BN,
    ReLU6), and add their contribution ``W_project[:, group] @ slice`` into the output. The projection
    is linear, so the sum over groups is exactly the full projection; its BatchNorm and the residual
    are applied once at the end. Equal to ``block(x)`` up to floating-point rounding.
    """
    if not isinstance(block, InvertedResidual):
        raise ValueError(f"sliced_forward runs a MobileNetV2 InvertedResidual, got {type(block).__name__}")
    if block.training:
        raise ValueError(
            "sliced_forward needs the block in eval mode (call block.eval()): in training, BatchNorm "
            "uses statistics of the whole batch"
        )
    hidden = block.hidden
    if isinstance(slices, bool) or not isinstance(slices, int) or not 1 <= slices <= hidden:
        raise ValueError(f"slices must be an integer from 1 to the expanded width {hidden}, got {slices!r}")
    dw_conv, dw_bn = block.depthwise[0], block.depthwise[1]
    pr_conv, pr_bn = block.project[0], block.project[1]
    bounds = [round(i * hidden / slices) for i in range(slices + 1)]
    out = None
    peak = 0
    for j, (a, b) in enumerate(itertools.pairwise(bounds)):
        part = slice(a, b)
        # x stays while later slices still need it, or for the shortcut; the output accumulator exists
        # from the first projection on and is added into in place.
        keep_x = x.numel() if block.use_residual or j < slices - 1 else 0
        acc = out.numel() if out is not None else 0
        if block.expand is not None:
            ex_conv, ex_bn = block.expand[0], block.expand[1]
            e = F.relu6(_bn(F.conv2d(x, ex_conv.weight[part]), ex_bn, part))
            expanded, keep_dw = e.numel(), keep_x
            peak = max(peak, x.numel() + expanded + acc)
        else:
            e, expanded, keep_dw = x[:, part], 0, x.numel()  # the depthwise layer reads x itself
        d = F.conv2d(e, dw_conv.weight[part], None, dw_conv.stride, dw_conv.padding, groups=b - a)
        d = F.relu6(_bn(d, dw_bn, part))
        peak = max(peak, keep_dw + expanded + d.numel() + acc)
        contribution = F.conv2d(d, pr_conv.weight[:, part])
        out = contribution if out is None else out + contribution
        peak = max(peak, keep_x + d.numel() + out.numel())
    out = _bn(out, pr_bn, slice(None))
    if block.use_residual:
        out = out + x
    whole = _layer_by_layer(block, x, out)
    return SlicedRun(out, slices, peak, whole)


__all__ = ["SlicedRun", "sliced_forward"]
