"""Measuring a model on a split: :func:`evaluate` (accuracy, per-class accuracy, confusion matrix).

``fit`` uses the same pass (:func:`eval_pass`) after every epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch
from torch import nn

from .device import (
    autocast,
    default_channels_last,
    default_device,
    float32_islands,
    resolve_amp,
    resolve_device,
)
from .history import Evaluation
from .settings import positive_int

if TYPE_CHECKING:
    from ..data import Dataset, Split


# --------------------------------------------------------------------------------------------------
# One pass over the test set
# --------------------------------------------------------------------------------------------------


def eval_pass(
    model: nn.Module,
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]],
    criterion: nn.Module,
    num_classes: int,
    device: torch.device,
    amp: torch.dtype | None,
    confusion: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Sum of losses, correct predictions and images (on the device), and the confusion counts."""
    sums = torch.zeros(2, device=device)
    seen = 0
    matrix = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device) if confusion else None
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), float32_islands(model, device, amp):
            for x, y in batches:
                with autocast(device, amp):
                    out = model(x)
                loss = criterion(out.float(), y)
                pred = out.argmax(1)
                sums += torch.stack([loss * y.numel(), (pred == y).sum().float()])
                seen += y.numel()
                if matrix is not None:
                    matrix += torch.bincount(y * num_classes + pred, minlength=num_classes * num_classes)
    finally:
        model.train(was_training)
    return torch.cat([sums, sums.new_tensor([seen])]), matrix


# --------------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------------


def evaluate(
    model: nn.Module,
    data_or_split: Dataset | Split,
    *,
    split: str = "test",
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
    classes: list[str] | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    channels_last: bool | None = None,
    amp: bool | str | None = None,
) -> Evaluation:
    """Accuracy, per-class accuracy and confusion matrix of ``model`` on a dataset's split.

    Pass a :class:`~smallnets_edu.data.Dataset` (its ``split``, default ``"test"``, is used with its
    normalisation and class names) or a bare ``Split`` together with ``mean`` and ``std``. The loss is
    plain cross-entropy (no label smoothing). The model is moved to ``device`` (default: where its
    weights are) and left in the mode it was in. On the CPU it evaluates in float32 unless ``amp`` asks
    for bfloat16 (``fit`` trains in bfloat16 on CPUs that have it, and tests in float32), so that an
    accuracy means the same on every processor.
    """
    from .. import data as data_mod

    if not isinstance(model, nn.Module):
        raise ValueError(f"evaluate needs a torch.nn.Module, got {type(model).__name__}")
    batch_size = positive_int("batch_size", batch_size)
    if hasattr(data_or_split, "train") and hasattr(data_or_split, "test"):
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        part = getattr(data_or_split, split)
        mean = data_or_split.mean if mean is None else mean
        std = data_or_split.std if std is None else std
        classes = list(data_or_split.classes) if classes is None else classes
    elif hasattr(data_or_split, "images") and hasattr(data_or_split, "labels"):
        part = data_or_split
        if mean is None or std is None:
            raise ValueError("evaluating a bare Split needs mean= and std= (or pass the whole Dataset)")
    else:
        raise ValueError(f"evaluate needs a Dataset or a Split, got {type(data_or_split).__name__}")
    labels = part.labels
    if classes is None:
        classes = [str(i) for i in range(int(labels.max()) + 1)] if labels.numel() else []
    num_classes = len(classes)
    if num_classes < 1 or labels.numel() == 0:
        raise ValueError("there is nothing to evaluate: the split has no images")

    if device is None:
        param = next(model.parameters(), None)
        device = param.device if param is not None else default_device()
    device = resolve_device(device)
    if channels_last is None:
        channels_last = default_channels_last(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format)
    amp_dtype = None if amp is None and device.type == "cpu" else resolve_amp(amp, device)
    loader = data_mod.Loader(
        part, batch_size, train=False, mean=mean, std=std, device=device, channels_last=channels_last
    )
    criterion = nn.CrossEntropyLoss()
    sums, matrix = eval_pass(model, iter(loader), criterion, num_classes, device, amp_dtype, True)
    loss_sum, correct, count = sums.tolist()
    confusion = matrix.view(num_classes, num_classes).cpu()
    per_class = confusion.diagonal().double() / confusion.sum(dim=1).clamp(min=1).double()
    return Evaluation(
        accuracy=correct / count,
        loss=loss_sum / count,
        per_class_accuracy=per_class.tolist(),
        confusion=confusion,
        classes=list(classes),
        num_images=int(count),
    )
