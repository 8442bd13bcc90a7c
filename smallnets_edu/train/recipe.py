"""The training recipe's optimizer and learning-rate schedule, from torch's own parts.

SGD with Nesterov momentum 0.9; weight decay on convolution and linear weights only (decaying
BatchNorm's scale and shift or the biases only fights the normalisation); a rate warmed up linearly
and then annealed to zero along half a cosine (``LinearLR`` then ``CosineAnnealingLR``), or Smith and
Topin's one-cycle policy (``OneCycleLR``: up from peak/25, down to peak/250,000). Schedules step once
per batch, and their state is a few numbers, so it saves into a weights-only checkpoint.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.optim import lr_scheduler

SCHEDULES = ("cosine", "onecycle")
MOMENTUM = 0.9
ONECYCLE_WARMUP = 0.3  # fraction of the steps spent rising, unless warmup_epochs says otherwise


def param_groups(
    model: nn.Module, weight_decay: float, lr: float | None = None, head_lr_scale: float = 1.0
) -> list[dict[str, Any]]:
    """Weights of convolutions and linear layers decay, BatchNorm and biases do not.

    Every parameter with one dimension or fewer is a bias or a BatchNorm scale/shift. With
    ``head_lr_scale`` other than 1, the parameters of ``model.classifier`` get their own groups whose
    rate is ``lr * head_lr_scale`` (see :func:`smallnets_edu.models.squeezenet` for why a network may
    ask for it); the schedule then scales every group's rate alike.
    """
    head = set()
    if head_lr_scale != 1.0 and isinstance(getattr(model, "classifier", None), nn.Module):
        head = {id(p) for p in model.classifier.parameters()}
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for p in model.parameters():
        if p.requires_grad:
            groups.setdefault((id(p) in head, p.ndim > 1), []).append(p)
    out = []
    for (in_head, decays), params in sorted(groups.items(), key=lambda kv: (kv[0][0], not kv[0][1])):
        group: dict[str, Any] = {"params": params, "weight_decay": weight_decay if decays else 0.0}
        if in_head and lr is not None:
            group["lr"] = lr * head_lr_scale
        out.append(group)
    return out


def make_optimizer(
    model: nn.Module, lr: float, weight_decay: float, head_lr_scale: float = 1.0
) -> torch.optim.SGD:
    """SGD with Nesterov momentum 0.9 over :func:`param_groups`."""
    groups = param_groups(model, weight_decay, lr, head_lr_scale)
    if not groups:
        raise ValueError("the model has no trainable parameters")
    return torch.optim.SGD(groups, lr=lr, momentum=MOMENTUM, nesterov=True)


def make_scheduler(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int, schedule: str
) -> lr_scheduler.LRScheduler:
    """A per-step schedule over ``total_steps`` optimizer steps, ``warmup_steps`` of them rising.

    ``cosine``: from peak/(warmup + 1) up to the peak in equal steps, reached at step ``warmup``, then
    half a cosine down towards 0 at step ``total``. ``onecycle``: torch's ``OneCycleLR`` with cosine
    annealing and the momentum left alone.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    if schedule == "onecycle":
        peak = [group["lr"] for group in optimizer.param_groups]
        return lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=peak,
            total_steps=max(2, total_steps),
            pct_start=min(0.99, max(1, warmup_steps) / max(2, total_steps)),
            anneal_strategy="cos",
            cycle_momentum=False,
        )
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps - warmup_steps))
    if warmup_steps < 1:
        return cosine
    # Never from zero: the first step already moves the weights a little.
    rise = lr_scheduler.LinearLR(optimizer, 1 / (warmup_steps + 1), 1.0, total_iters=warmup_steps)
    return lr_scheduler.SequentialLR(optimizer, [rise, cosine], milestones=[warmup_steps])
