"""Deep Compression's first step: magnitude pruning, and which tensors count as weights.

- :func:`prune_by_magnitude` keeps the largest ``density`` fraction of the weights of *every* weight
  tensor (the same fraction per layer). Deep Compression (Han, Mao, Dally 2016, arXiv:1510.00149)
  chooses a threshold per layer from a sensitivity analysis (the first layer usually keeps more), then
  retrains with the mask fixed.
- :func:`zeros_kept` keeps pruned weights at zero while a pruned model is retrained (fine-tuned).
- :func:`weight_names`, :func:`density` and :func:`overall_density` say which tensors pruning acts on
  and how much of them is left.

:mod:`smallnets_edu.compression` gathers this module's names with the other steps of Deep Compression.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

import torch
from torch import nn

# --------------------------------------------------------------------------------------------------
# Which tensors are "weights"
# --------------------------------------------------------------------------------------------------


def _is_weight(name: str, tensor: torch.Tensor) -> bool:
    """Convolution and linear weights (2+ dimensions): what pruning and quantization act on.

    Biases and BatchNorm vectors stay 32-bit: they are a fraction of a percent of a model's size, and
    Deep Compression also leaves them alone.
    """
    return tensor.is_floating_point() and tensor.dim() >= 2


def weight_names(model: nn.Module) -> list[str]:
    """Names of the parameters that pruning and quantization act on, in ``state_dict`` order."""
    return [name for name, p in model.named_parameters() if _is_weight(name, p)]


def density(model: nn.Module) -> dict[str, float]:
    """Fraction of non-zero entries in each weight tensor."""
    return {
        name: float((p != 0).sum()) / p.numel() for name, p in model.named_parameters() if _is_weight(name, p)
    }


def overall_density(model: nn.Module) -> float:
    """Non-zero weights / all weights, over every weight tensor together."""
    kept = total = 0
    for name, p in model.named_parameters():
        if _is_weight(name, p):
            kept += int((p != 0).sum())
            total += p.numel()
    if total == 0:
        raise ValueError("this model has no convolution or linear weights")
    return kept / total


# --------------------------------------------------------------------------------------------------
# Pruning
# --------------------------------------------------------------------------------------------------


def _check_density(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError(
            f"density is the fraction of weights kept, 0 < density <= 1, got {value!r} "
            "(the paper keeps 33%: density=0.33)"
        )
    return float(value)


def kept_count(numel: int, density: float) -> int:
    """How many weights of a tensor of ``numel`` survive at ``density``: rounded, and at least one."""
    return max(1, min(numel, round(_check_density(density) * numel)))


@torch.no_grad()
def prune_by_magnitude(model: nn.Module, density: float, exclude: tuple[str, ...] = ()) -> nn.Module:
    """A copy of ``model`` in which every weight tensor keeps only its largest-magnitude weights.

    Each convolution or linear weight tensor keeps exactly :func:`kept_count` ``(numel, density)`` of
    its weights, those of largest absolute value (ties broken by position); the rest are set to zero.
    The same fraction is kept in every layer, so the model's overall density is ``density`` too.
    Names listed in ``exclude`` (parameter names, e.g. ``"features.conv1.0.weight"``) are left dense.

    Deep Compression (Han et al. 2016) picks a different threshold per layer from each layer's
    sensitivity and retrains the survivors with the mask fixed; here no retraining happens, so the
    accuracy of the copy tells what pruning alone costs.
    """
    density = _check_density(density)
    names = set(weight_names(model))
    unknown = sorted(set(exclude) - names)
    if unknown:
        raise ValueError(
            f"exclude names no weight tensor of this model: {unknown}; weights are {sorted(names)}"
        )
    pruned = copy.deepcopy(model)
    for name, p in pruned.named_parameters():
        if name not in names or name in exclude:
            continue
        # reshape copies a channels_last tensor, so work on a flat copy and write it back
        flat = p.detach().reshape(-1).clone()
        keep = kept_count(flat.numel(), density)
        order = torch.argsort(flat.abs(), descending=True, stable=True)
        mask = torch.zeros_like(flat, dtype=torch.bool)
        mask[order[:keep]] = True
        p.copy_((flat * mask).view(p.shape))
    return pruned


@contextlib.contextmanager
def zeros_kept(model: nn.Module) -> Iterator[nn.Module]:
    """Within this block, training leaves the pruned (zero) weights of ``model`` at zero.

    Deep Compression retrains after pruning with the mask fixed. A gradient hook multiplies each
    weight tensor's gradient by its mask of non-zeros; with a zero gradient and a zero weight, SGD
    (momentum, Nesterov and weight decay included) and Adam leave the weight exactly zero::

        pruned = prune_by_magnitude(model, 0.33)
        with zeros_kept(pruned):
            train.fit(pruned, dataset, epochs=1)
    """
    handles = []
    for name, p in model.named_parameters():
        if _is_weight(name, p) and p.requires_grad:
            mask = (p.detach() != 0).to(p.dtype)
            handles.append(p.register_hook(lambda grad, mask=mask: grad * mask.to(grad.device)))
    try:
        yield model
    finally:
        for handle in handles:
            handle.remove()


__all__ = [
    "density",
    "kept_count",
    "overall_density",
    "prune_by_magnitude",
    "weight_names",
    "zeros_kept",
]
