"""Folding BatchNorm into the convolution before it: the first step of every deployment.

In eval mode BatchNorm is a fixed affine map per channel, ``y = gamma * (x - mean) / sqrt(var + eps) +
beta``, and a convolution is linear, so the two collapse into one convolution (Jacob et al. 2018,
"Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference",
arXiv:1712.05877, section 3.2; Krishnamoorthi 2018, arXiv:1806.08342, section 2.5). With
``s = gamma / sqrt(var + eps)`` per output channel:

    w' = w * s        b' = beta + (b - mean) * s

Only a BatchNorm that *directly* follows a convolution can be folded this way. EffNet puts its
BatchNorm after the LeakyReLU (``order="act_bn"``): a non-linearity stands between them, so those
BatchNorms stay. (Folding them into the *next* convolution instead would be wrong at the borders, where
that convolution's zero padding meets values BatchNorm would have shifted.)
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import torch
from torch import nn


def _foldable(conv: nn.Module, bn: nn.Module) -> bool:
    return (
        isinstance(conv, nn.Conv2d)
        and isinstance(bn, nn.BatchNorm2d)
        and bn.track_running_stats
        and bn.running_mean is not None
        and bn.num_features == conv.out_channels
    )


def fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A new convolution equal to ``bn(conv(x))`` in eval mode: ``w' = w * s``, ``b' = beta + (b - mean) s``.

    ``s = gamma / sqrt(running_var + eps)`` is one number per output channel; it scales that channel's
    whole filter (every input channel and kernel position), so it broadcasts over ``w``'s dimensions
    1, 2 and 3. A convolution without a bias counts as ``b = 0``; the folded one always has a bias.
    """
    if not _foldable(conv, bn):
        raise ValueError(
            f"fold_conv_bn needs a Conv2d and the BatchNorm2d of its {getattr(conv, 'out_channels', '?')} "
            f"output channels with running statistics, got {type(conv).__name__} and {type(bn).__name__}"
        )
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        beta = bn.bias if bn.bias is not None else torch.zeros_like(bn.running_mean)
        folded = nn.Conv2d(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            conv.stride,
            conv.padding,
            conv.dilation,
            conv.groups,
            bias=True,
            padding_mode=conv.padding_mode,
        ).to(device=conv.weight.device, dtype=conv.weight.dtype)
        folded.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
        folded.bias.copy_(beta + (bias - bn.running_mean) * scale)
    return folded


def foldable_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """``(conv name, batchnorm name)`` of every BatchNorm2d that directly follows a Conv2d.

    "Directly follows" means the next module of the same ``nn.Sequential``: the course builds every
    convolution unit as one (:class:`~smallnets_edu.blocks.ConvBNAct`), so data flows from one child
    to the next.
    """
    pairs = []
    for prefix, module in model.named_modules():
        if not isinstance(module, nn.Sequential):
            continue
        children = list(module.named_children())
        for (conv_name, conv), (bn_name, bn) in itertools.pairwise(children):
            if _foldable(conv, bn):
                dot = f"{prefix}." if prefix else ""
                pairs.append((dot + conv_name, dot + bn_name))
    return pairs


def batchnorms(model: nn.Module) -> list[str]:
    """The names of every BatchNorm2d in ``model``."""
    return [name for name, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with every BatchNorm2d that follows a Conv2d folded into it.

    Each such convolution is replaced by :func:`fold_conv_bn`'s, each such BatchNorm by ``nn.Identity``
    (so module names, and the model's ``spec`` and ``name``, stay as they were). BatchNorms that follow
    something else (EffNet's, after a LeakyReLU) are kept. The copy computes the same function as
    ``model.eval()`` up to float rounding; ``model`` itself is not changed.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"fold_batchnorm needs a torch.nn.Module, got {type(model).__name__}")
    folded = copy.deepcopy(model).eval()
    for conv_name, bn_name in foldable_pairs(folded):
        conv, bn = folded.get_submodule(conv_name), folded.get_submodule(bn_name)
        _replace(folded, conv_name, fold_conv_bn(conv, bn))
        _replace(folded, bn_name, nn.Identity())
    return folded


def _replace(root: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent_name) if parent_name else root, child, new)


@dataclass
class FoldResult:
    """One network before and after folding: parameters, MACs, BatchNorms folded and left, output gap."""

    name: str
    params_before: int
    params_after: int
    macs_before: int
    macs_after: int
    folded: int  # BatchNorms folded into their convolution
    left: int  # BatchNorms that could not be folded
    max_difference: float  # largest |output before - output after| on a random batch
    max_output: float  # largest |output| on that batch, for scale


def compare_fold(
    model: nn.Module, resolution: int = 32, batch: int = 4, seed: int = 0, name: str | None = None
) -> FoldResult:
    """Fold ``model`` and compare: parameters and MACs (``cost.profile``) and outputs on random images."""
    from .. import cost

    name = name or getattr(model, "name", type(model).__name__)
    before = copy.deepcopy(model).eval()
    after = fold_batchnorm(model)
    x = torch.randn(batch, 3, resolution, resolution, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        y, y_folded = before(x), after(x)
    return FoldResult(
        name=name,
        params_before=cost.count_params(before),
        params_after=cost.count_params(after),
        macs_before=cost.profile(before, resolution).macs,
        macs_after=cost.profile(after, resolution).macs,
        folded=len(foldable_pairs(model)),
        left=len(batchnorms(after)),
        max_difference=float((y - y_folded).abs().max()),
        max_output=float(y.abs().max()),
    )


__all__ = ["FoldResult", "batchnorms", "compare_fold", "fold_batchnorm", "fold_conv_bn", "foldable_pairs"]
