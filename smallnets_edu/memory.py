"""Activation memory, and MobileNetV2's memory-efficient inference (Sandler et al. 2018, Section 5).

While a network runs, some tensors must exist whole in memory and some need not. MobileNetV2's
argument (arXiv 1801.04381, Section 5.1): an inverted residual block is

    x (narrow) -> 1x1 expand -> ReLU6 -> 3x3 depthwise -> ReLU6 -> 1x1 project -> y (narrow)

and everything between the two 1x1 convolutions works channel by channel. So the wide inner tensor
can be produced in slices: take a few of its channels, run them through the depthwise layer, multiply
them by the matching columns of the projection and add the result into ``y``; then the next few. Only
``x``, ``y`` and one slice exist at once. The same trick applies wherever a layer is followed by
per-channel work (the first convolution before a depthwise layer or a max pool, the last 1x1
convolution before the average pool). Table 3 of the paper counts, at each spatial resolution, the
largest tensor that must be materialised.

This module gathers the names lesson 05 uses; the code lives in one module per subject:

- :mod:`smallnets_edu.activation_memory`: :func:`tensors` lists every tensor one forward pass makes,
  each flagged ``materialised`` or not; :func:`largest` and :func:`peak` keep the largest ones
  (layer-by-layer or streamed inference); ``TABLE3_ARXIV_V4`` and ``TABLE3_MAX`` hold the paper's two
  printings of Table 3, and :func:`kb` its unit (thousands of bytes).
- :mod:`smallnets_edu.streamed_inference`: :func:`sliced_forward` runs an
  :class:`~smallnets_edu.models.mobilenet_v2.InvertedResidual` slice by slice, exactly equal to the
  block, and reports how much it held at once.
- :mod:`smallnets_edu.cost_mobilenet_v2`: :func:`mobilenet_v2_rows` is MobileNetV2's cost row by row
  of Table 2 from the formulas (parameters, MACs, and both memory figures) in microseconds, for
  explorers; :func:`mobilenet_v2_cost` sums it.
- :mod:`smallnets_edu.drawing.inverted_residual`: :func:`block_diagram` draws a residual block
  (wide -> narrow -> wide) beside an inverted residual block (narrow -> wide -> narrow) with their
  channel counts (the paper's Figure 3).
- :mod:`smallnets_edu.activation_quantization`: :func:`quantization_step`, :func:`fake_quantize` and
  :func:`relu6_inputs` are for ReLU6 and 8-bit activations: a bounded range fixes the step of a
  fixed-point grid before any data is seen.
"""

# Every import below is a re-export (lesson 05 and its exercises use `memory.X`); `__all__` lists the
# names `from smallnets_edu.memory import *` gives.
# ruff: noqa: F401
from __future__ import annotations

from .activation_memory import (
    BLOCKS,
    TABLE3_ARXIV_V4,
    TABLE3_MAX,
    Tensor,
    kb,
    largest,
    peak,
    starts_per_channel,
    tensors,
)
from .activation_quantization import fake_quantize, quantization_step, relu6_inputs
from .cost_mobilenet_v2 import Row, V2Cost, mobilenet_v2_cost, mobilenet_v2_rows
from .drawing.inverted_residual import DIAGRAM_SIZE, block_diagram
from .streamed_inference import SlicedRun, sliced_forward

__all__ = [
    "BLOCKS",
    "TABLE3_ARXIV_V4",
    "TABLE3_MAX",
    "Row",
    "SlicedRun",
    "Tensor",
    "V2Cost",
    "block_diagram",
    "fake_quantize",
    "kb",
    "largest",
    "mobilenet_v2_cost",
    "mobilenet_v2_rows",
    "peak",
    "quantization_step",
    "relu6_inputs",
    "sliced_forward",
    "starts_per_channel",
    "tensors",
]
