"""ReLU6 and 8-bit activations: a bounded range fixes the step of a fixed-point grid before any data is seen.

MobileNetV2 (Sandler et al. 2018, arXiv 1801.04381) uses ReLU6 for its robustness in low-precision
computation. :func:`quantization_step` and :func:`fake_quantize` are a uniform grid of ``2**bits``
levels; :func:`relu6_inputs` captures what every ReLU6 of a model receives.
"""

from __future__ import annotations

import torch
from torch import nn


def quantization_step(low: float, high: float, bits: int = 8) -> float:
    """The spacing of a uniform grid of ``2**bits`` levels from ``low`` to ``high``."""
    if not high > low:
        raise ValueError(f"high must exceed low, got [{low}, {high}]")
    if isinstance(bits, bool) or not isinstance(bits, int) or bits < 1:
        raise ValueError(f"bits must be a positive integer, got {bits!r}")
    return (high - low) / (2**bits - 1)


def fake_quantize(x: torch.Tensor, low: float, high: float, bits: int = 8) -> torch.Tensor:
    """Round ``x`` to the nearest of ``2**bits`` levels on ``[low, high]`` (values outside are clipped)."""
    step = quantization_step(low, high, bits)
    return torch.round((x.clamp(low, high) - low) / step) * step + low


def relu6_inputs(model: nn.Module, images: torch.Tensor) -> list[torch.Tensor]:
    """What every ReLU6 of ``model`` receives (BatchNorm's output) on ``images``, in eval mode.

    These are the values a plain ReLU would pass on unbounded; ReLU6 caps them at 6.
    """
    captured: list[torch.Tensor] = []

    def grab(_module, inputs):
        captured.append(inputs[0].detach().flatten().cpu().clone())  # the ReLU6 works in place

    handles = [m.register_forward_pre_hook(grab) for m in model.modules() if isinstance(m, nn.ReLU6)]
    was_training = model.training
    try:
        model.eval()
        param = next(model.parameters(), None)
        with torch.no_grad():
            model(images.to(param.device if param is not None else "cpu"))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return captured


__all__ = ["fake_quantize", "quantization_step", "relu6_inputs"]
