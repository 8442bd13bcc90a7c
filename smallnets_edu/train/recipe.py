"""The training recipe's optimizer and learning-rate schedule, from torch's own parts.

Optimizer: SGD with Nesterov momentum 0.9 (``"sgd"``, the default), or AdamW (``"adamw"``, Loshchilov
and Hutter 2019) with decoupled decay 0.05, which the networks without shortcuts ask for in their
``recipe_defaults``. AdamW's peak is the budget's (``budget.Budget.adamw_lr``: 2e-2 at ``laptop``, 3e-3
at ``gpu`` and ``full``) or the network's own (the published SqueezeNets: 3e-4). Weight decay on
convolution and linear weights only: decaying BatchNorm's scale and shift or the biases only fights the
normalisation. Schedule: a rate warmed up linearly and then annealed to zero along half a cosine
(``LinearLR`` then ``CosineAnnealingLR``), or Smith and Topin's one-cycle policy (``OneCycleLR``: up
from peak/25, down to peak/250,000). Schedules step once per batch, and their state is a few numbers,
so it saves into a weights-only checkpoint.

What the choices bought at the ``laptop`` budget (390 steps of 128 offline images; means of three
seeds, the README's tables):

- AdamW for the networks without shortcuts (``models._registry.NO_SHORTCUT_RECIPE``): with SGD
  MobileNet v1 reached 33%, FD-MobileNet 73%, EffNet 82%; nothing rescued SGD for MobileNet v1 (rates
  from 0.05 to 0.2, a longer warm-up, gradient clipping at 2 or 5, other initialisations; seed 0).
- AdamW's peak for a short run: at 3e-3 MobileNet v1 reached 70.0 +- 5.7%, FD-MobileNet 66.0 +- 1.6%,
  EffNet 89.0 +- 0.3%; at 2e-2, 90.4 +- 2.3%, 91.6 +- 0.8% and 91.2 +- 0.5%. At 1e-2 (seed 0)
  MobileNet v1 90.0%, FD-MobileNet 87.6%. The ``gpu`` and ``full`` budgets keep 3e-3, not measured
  against 2e-2 over their 30 and 200 epochs.
- AdamW at 3e-4 for the published SqueezeNets (:func:`smallnets_edu.models.squeezenet.published_recipe`):
  1.1 from 12% to 33%, 1.0 from 11% to 42%; at 6e-4 and above their class scores die (seed 0). They
  still underfit, so at the short budgets (``smoke``, ``laptop``) they train three times the epochs
  without augmentation: 1.1 71%, 1.0 82%, and no longer than MobileNetV2's run.
- SGD for the networks with shortcuts (MobileNetV2, ShuffleNet): 93% already, with their residual
  branches starting at zero (see the models); the budget's rate 0.1 against 0.05 and 0.4 (dead).
- At least 100 optimizer steps per ``laptop`` run (``budget.min_steps``; the batch a run did not choose
  halves, and the rate with it, see :func:`smallnets_edu.train.batch_for_steps`): one epoch of 10,000
  images, 78 steps of 128, took MobileNetV2 to 61.6 +- 14.0% and ShuffleNet to 52.0 +- 2.7%; 156 steps
  of 64, in the same time, to 80.6 +- 2.8% and 59.2 +- 2.1% (three seeds each). A shorter warm-up over
  the 78 steps did worse (MobileNetV2 29% and 19%, two seeds).
- No augmentation for runs of at most two epochs at the short budgets (``budget.plain_up_to_epochs``):
  random crops and flips fight overfitting, which a network that has seen each image once or twice does
  not have. Two epochs at AdamW 2e-2, plain against crop + flip: MobileNet v1 64.7 +- 4.0% against
  54.0 +- 4.9%, FD-MobileNet 68.7 +- 6.3% against 66.1 +- 4.1%, EffNet 80.8 +- 0.9% against 79.6 +- 1.2%;
  one epoch of batch 64 (SGD), ShuffleNet 65.6 +- 3.9% against 59.2 +- 2.1%.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.optim import lr_scheduler

SCHEDULES = ("cosine", "onecycle")
OPTIMIZERS = ("sgd", "adamw")
MOMENTUM = 0.9
# AdamW's decoupled decay (weights shrink by rate x decay per step; not an L2 term like SGD's); its
# peak rate is the budget's (``budget.Budget.adamw_lr``) or the network's own.
ADAMW_WEIGHT_DECAY = 0.05
FUSED_DEVICES = ("cpu", "cuda")  # where torch has fused SGD and AdamW kernels
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
    model: nn.Module, lr: float, weight_decay: float, head_lr_scale: float = 1.0, optimizer: str = "sgd"
) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum 0.9, or AdamW, over :func:`param_groups`."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    groups = param_groups(model, weight_decay, lr, head_lr_scale)
    if not groups:
        raise ValueError("the model has no trainable parameters")
    # One fused kernel over all parameters instead of a loop of small ones: on the CPU a step of
    # MobileNet v1 (3.2M parameters) took 2.4 ms fused against 12.4 ms (AdamW), 1.6 against 6.9 (SGD).
    fused = all(p.device.type in FUSED_DEVICES for group in groups for p in group["params"])
    if optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=lr, fused=fused or None)
    return torch.optim.SGD(groups, lr=lr, momentum=MOMENTUM, nesterov=True, fused=fused or None)


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
