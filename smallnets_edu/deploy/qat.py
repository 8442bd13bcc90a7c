"""Quantization-aware fine-tuning: the fix when post-training 8 bits cost too much accuracy.

Post-training quantization (:func:`~.quantize.quantize`) rounds a network trained in float. When that
costs more than a point or two, Jacob et al. 2018 (arXiv:1712.05877, section 3) train *through* the
rounding instead: every weight and activation that will be 8-bit is passed through a *fake-quantize*
node, which rounds it to the 8-bit grid in the forward pass and lets the gradient through unchanged
(the straight-through estimator). A few hundred steps at a small rate move the weights to where
rounding hurts least. Krishnamoorthi 2018 (arXiv:1806.08342, section 3.2) adds two steps this follows:
BatchNorm statistics are frozen after a while (they would otherwise keep moving while folding assumes
them fixed) and then the observers, so the last steps train against fixed scales.

PyTorch's tools (FX graph mode): ``prepare_qat_fx`` puts fake-quantize nodes into the traceable copy
(:func:`~.quantize.traceable`) with the backend's QAT configuration (per-channel weights), the network
is fine-tuned here, and ``convert_fx`` makes the same int8 graph as post-training quantization does, so
size and latency are unchanged: only the weights and scales differ.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .quantize import QuantizedNet, convert_with_fallback, network_name, qat_qconfig_mapping, quiet, traceable

DEFAULT_STEPS = 200
DEFAULT_BATCH_SIZE = 64
# Adam at a tenth of the AdamW peak of the long budgets (3e-3): fine-tuning, not training.
DEFAULT_LR = 3e-4
FREEZE_BATCHNORM_AT = 0.5  # fraction of the steps after which BatchNorm statistics stop moving
FREEZE_OBSERVERS_AT = 0.75  # ... and after which the scales and zero points stop moving
LABEL_SMOOTHING = 0.1  # as the networks were trained (budget.label_smoothing)


def quantize_aware(
    model: nn.Module,
    dataset: Any,
    *,
    steps: int = DEFAULT_STEPS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lr: float = DEFAULT_LR,
    engine: str | None = None,
    seed: int = 0,
    name: str | None = None,
) -> QuantizedNet:
    """An 8-bit copy of the trained ``model`` after ``steps`` of quantization-aware fine-tuning.

    ``dataset``: a course dataset (``data.load``, ``data.for_lesson``); fine-tuning draws augmented
    batches from its training split. The model is not changed. Raises ValueError for bad arguments, a
    network FX cannot trace or a dataset without a training split.
    """
    from torch.ao.nn.intrinsic import qat as intrinsic_qat
    from torch.ao.quantization import disable_observer
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_qat_fx

    name = name or network_name(model)
    loader = _loader(dataset, steps, batch_size, lr, seed)
    body = traceable(model, name).train()
    example = (next(iter(loader))[0][:1],)

    def fine_tune_and_convert(kernels: str) -> nn.Module:
        torch.manual_seed(seed)
        mapping = qat_qconfig_mapping(kernels)
        prepared = prepare_qat_fx(copy.deepcopy(body), mapping, example_inputs=example)

        def freeze(step: int) -> None:
            if step == int(FREEZE_BATCHNORM_AT * steps):
                prepared.apply(intrinsic_qat.freeze_bn_stats)
            if step == int(FREEZE_OBSERVERS_AT * steps):
                prepared.apply(disable_observer)

        _train_steps(prepared, loader, steps, lr, before_step=freeze)
        return convert_fx(prepared.eval())

    converted, kernels, note = convert_with_fallback(fine_tune_and_convert, engine, name)
    return QuantizedNet(converted, model, True, kernels, name, note).eval()


def fine_tune(
    model: nn.Module,
    dataset: Any,
    *,
    steps: int = DEFAULT_STEPS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lr: float = DEFAULT_LR,
    seed: int = 0,
) -> nn.Module:
    """The float control of :func:`quantize_aware`: the same steps on the same batches at the same rate,
    without fake quantization. Fine-tuning also trains, so part of what quantization-aware training
    gains over post-training int8 is only more training; the float network after the same steps
    says how much. A copy in eval mode; the model is not changed."""
    loader = _loader(dataset, steps, batch_size, lr, seed)
    net = copy.deepcopy(model).train()
    torch.manual_seed(seed)
    _train_steps(net, loader, steps, lr)
    return net.eval()


def _loader(dataset: Any, steps: object, batch_size: object, lr: object, seed: int) -> Any:
    """The augmented training batches both fine-tunings draw, after checking the arguments."""
    from .. import data as data_mod

    for label, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    split = getattr(dataset, "train", None)
    if split is None or not hasattr(dataset, "mean"):
        raise ValueError(
            "fine-tuning needs a course dataset with a training split (data.load or data.for_lesson), "
            f"got {type(dataset).__name__}"
        )
    size = min(int(batch_size), len(split))
    return data_mod.Loader(split, size, train=True, mean=dataset.mean, std=dataset.std, seed=seed)


def _train_steps(
    net: nn.Module, loader: Any, steps: int, lr: float, before_step: Callable[[int], None] | None = None
) -> None:
    """``steps`` of Adam on cross-entropy with label smoothing, the rate annealed along a cosine."""
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)
    loader.set_epoch(0)
    step = 0
    with quiet():
        while step < steps:
            for x, y in loader:
                if before_step is not None:
                    before_step(step)
                loss = loss_fn(net(x), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                step += 1
                if step == steps:
                    return


__all__ = ["DEFAULT_STEPS", "fine_tune", "quantize_aware"]
