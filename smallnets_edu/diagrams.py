"""Connectivity diagrams: which input channels, and which pixels, feed each output channel.

In the spirit of yu4u's "Why MobileNet and its variants (e.g. ShuffleNet) are fast" (2017): every
convolution variant is drawn as columns of channels with a line wherever a weight connects an input
channel to an output channel, beside the window of pixels one output pixel sees.

Nothing here is drawn from a hand-made table. Each layer is built as a real ``nn.Conv2d`` (or
:class:`~smallnets_edu.blocks.ChannelShuffle`) with every weight set to one, and a link is a non-zero
entry of what that layer computes on one-hot inputs; the pixel windows are read off the gradient of one
output pixel. With all-positive weights nothing can cancel, so the pictures show exactly what PyTorch
connects.

- :func:`connectivity` draws one variant by name (``"standard"``, ``"pointwise"``, ``"grouped"``,
  ``"depthwise"``, ``"separable"``, ``"spatial"``, ``"depthwise_spatial"``, ``"shuffle"``) or any
  list of :class:`Layer` s.
- :func:`stack` draws grouped layers one after another, with or without a channel shuffle between
  them (ShuffleNet, Zhang et al. 2017, arXiv 1707.01083): node colours show which input groups can
  reach each channel.
- :func:`kernel_footprint` draws only the pixel windows.
- :func:`links`, :func:`reach` and :func:`receptive_field` return the underlying arrays.
- Lesson 01's cost explorer (:func:`cost_explorer`): its readout and chart put the cost formulas of
  :mod:`smallnets_edu.cost` side by side for every variant.

This module gathers their names; the code lives in :mod:`smallnets_edu.drawing`, one module per
subject: ``wiring`` (the steps and what they connect), ``connectivity`` (the figures),
``cost_explorer`` (lesson 01's explorer) and ``common`` (what the figures share).
"""

# Every import below is a re-export (the lessons, their exercises and the benchmarks use `diagrams.X`);
# `__all__` lists the names `from smallnets_edu.diagrams import *` gives.
# ruff: noqa: F401
from __future__ import annotations

from .drawing.common import INK
from .drawing.connectivity import (
    CONNECTIVITY_SIZE,
    FOOTPRINT_SIZE,
    GROUP_COLOURS,
    NEUTRAL,
    SHUFFLE_COLOUR,
    TOGETHER_COLOUR,
    connectivity,
    kernel_footprint,
    stack,
)
from .drawing.cost_explorer import (
    CHANNEL_OPTIONS,
    CHART_SIZE,
    GROUP_OPTIONS,
    KERNEL_OPTIONS,
    SIZE_OPTIONS,
    VARIANT_LABELS,
    VARIANT_NAMES,
    VariantCost,
    cost_chart,
    cost_explorer,
    cost_readout,
    explorer_controls,
    variant_costs,
)
from .drawing.wiring import (
    KINDS,
    MAX_CHANNELS,
    Layer,
    conv,
    depthwise,
    links,
    origins,
    reach,
    receptive_field,
    shuffle,
    variant_layers,
)

__all__ = [
    "CONNECTIVITY_SIZE",
    "KINDS",
    "Layer",
    "VariantCost",
    "connectivity",
    "conv",
    "cost_chart",
    "cost_explorer",
    "cost_readout",
    "depthwise",
    "kernel_footprint",
    "links",
    "origins",
    "reach",
    "receptive_field",
    "shuffle",
    "stack",
    "variant_costs",
    "variant_layers",
]
