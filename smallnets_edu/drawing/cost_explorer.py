"""Lesson 01's cost explorer: what every convolution variant costs at one setting.

Its readout (:func:`cost_readout`) and chart (:func:`cost_chart`) put the cost formulas of
:mod:`smallnets_edu.cost` side by side for every variant (:func:`variant_costs`); :func:`cost_explorer`
puts them under five sliders.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import cost, plots
from . import wiring
from .common import INK, _detached

if TYPE_CHECKING:
    from ipywidgets import SelectionSlider
    from matplotlib.figure import Figure

    from ..widgets import Explorer

CHART_SIZE = (8.0, 3.4)

# --------------------------------------------------------------------------------------------------
# Lesson 01's cost explorer: every variant at one setting
# --------------------------------------------------------------------------------------------------

# Lesson 01's layers, the wiring diagrams' kinds but the depthwise spatially separable one.
VARIANT_NAMES = tuple(kind for kind in wiring.KINDS if kind != "depthwise_spatial")
VARIANT_LABELS = {
    "standard": "standard k×k",
    "pointwise": "pointwise 1×1",
    "grouped": "grouped k×k",
    "depthwise": "depthwise k×k",
    "separable": "depthwise-separable",
    "spatial": "spatially separable",
    "shuffle": "channel shuffle",
}
_VARIANT_KIND = {
    "standard": "conv",
    "pointwise": "pointwise",
    "grouped": "grouped",
    "depthwise": "depthwise",
    "separable": "pointwise",
    "spatial": "conv",
    "shuffle": "shuffle",
}


@dataclass(frozen=True)
class VariantCost:
    name: str
    params: int
    macs: int
    parts: tuple[int, ...]  # MACs of each sub-layer (depthwise then pointwise for "separable")


def variant_costs(
    kernel: int, in_channels: int, out_channels: int, groups: int, size: int
) -> list[VariantCost]:
    """Params and MACs of every variant for an M -> N layer on a ``size`` x ``size`` map (stride 1).

    All from :mod:`smallnets_edu.cost`. Depthwise keeps M channels; the grouped layer needs
    ``groups`` to divide M and N (a ``ValueError`` says so otherwise).
    """
    k, m, n, s, g = kernel, in_channels, out_channels, size, groups
    dw, pw = cost.depthwise_macs(m, k, s), cost.pointwise_macs(m, n, s)
    row, column = cost.conv_macs(m, n, (1, k), s), cost.conv_macs(n, n, (k, 1), s)
    return [
        VariantCost("standard", cost.conv_params(m, n, k), cost.standard_conv_macs(m, n, k, s), ()),
        VariantCost("pointwise", cost.conv_params(m, n, 1), pw, ()),
        VariantCost("grouped", cost.conv_params(m, n, k, g), cost.grouped_macs(m, n, k, s, g), ()),
        VariantCost("depthwise", cost.conv_params(m, m, k, m), dw, ()),
        VariantCost("separable", cost.conv_params(m, m, k, m) + cost.conv_params(m, n, 1), dw + pw, (dw, pw)),
        VariantCost(
            "spatial",
            cost.conv_params(m, n, (1, k)) + cost.conv_params(n, n, (k, 1)),
            row + column,
            (row, column),
        ),
        VariantCost("shuffle", 0, 0, ()),
    ]


def _divides_problem(in_channels: int, out_channels: int, groups: int) -> str | None:
    if in_channels % groups or out_channels % groups:
        return (
            f"groups = {groups} does not divide M = {in_channels} and N = {out_channels}: "
            "a grouped convolution splits the channels into equal groups. Pick another value."
        )
    return None


def cost_readout(kernel: int, in_channels: int, out_channels: int, groups: int, size: int) -> str:
    """HTML: a table of params and MACs per variant and the separable reduction ``1/N + 1/Dk²``."""
    problem = _divides_problem(in_channels, out_channels, groups)
    if problem:
        return f"<span style='color:#C44E52'>{html.escape(problem)}</span>"
    rows = variant_costs(kernel, in_channels, out_channels, groups, size)
    standard = rows[0].macs
    body = "".join(
        f"<tr><td style='text-align:left'>{VARIANT_LABELS[r.name]}</td>"
        f"<td>{r.params:,}</td><td>{r.macs:,}</td>"
        f"<td>{cost.human(r.macs)}</td><td>{100 * r.macs / standard:.2f}%</td></tr>"
        for r in rows
    )
    reduction = cost.separable_reduction(out_channels, kernel)
    return (
        f"<div style='font-size:0.95em'>Layer: {in_channels} → {out_channels} channels, {kernel}×{kernel} "
        f"kernel, {size}×{size} map, groups = {groups} (depthwise keeps {in_channels} channels).<br>"
        f"<b>Depthwise-separable / standard = 1/N + 1/D<sub>K</sub><sup>2</sup> = 1/{out_channels} + "
        f"1/{kernel * kernel} = {reduction:.4f}</b>, i.e. {1 / reduction:.1f}× fewer MACs and parameters."
        "<table style='margin-top:4px'><tr><th style='text-align:left'>variant</th><th>params</th>"
        f"<th>MACs</th><th></th><th>vs standard</th></tr>{body}</table></div>"
    )


def cost_chart(kernel: int, in_channels: int, out_channels: int, groups: int, size: int) -> Figure:
    """Bar chart: every variant's MACs as a percentage of the standard convolution's."""
    fig, ax = plots.figure(*CHART_SIZE)
    problem = _divides_problem(in_channels, out_channels, groups)
    if problem:
        ax.axis("off")
        ax.text(
            0.5, 0.5, problem, ha="center", va="center", wrap=True, color="#C44E52", transform=ax.transAxes
        )
        return _detached(fig)
    rows = variant_costs(kernel, in_channels, out_channels, groups, size)
    standard = rows[0].macs
    labels = [VARIANT_LABELS[r.name] for r in rows]
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows, strict=True):
        if r.name == "separable":  # depthwise part, then pointwise part: the two terms of the formula
            dw, pw = (100 * p / standard for p in r.parts)
            ax.barh(yi, dw, color=plots.kind_colour("depthwise"), height=0.6)
            ax.barh(yi, pw, left=dw, color=plots.kind_colour("pointwise"), height=0.6)
        else:
            ax.barh(yi, 100 * r.macs / standard, color=plots.kind_colour(_VARIANT_KIND[r.name]), height=0.6)
        note = (
            f"{cost.human(r.macs)} MACs ({100 * r.macs / standard:.1f}%)"
            if r.macs
            else "0 MACs: a permutation"
        )
        ax.text(100 * r.macs / standard, yi, "  " + note, va="center", fontsize=8)
    reduction = 100 * cost.separable_reduction(out_channels, kernel)
    ax.axvline(reduction, color=INK, linestyle="--", linewidth=1)
    ax.text(reduction, len(rows) - 0.45, f" 1/N + 1/Dk² = {reduction:.1f}%", fontsize=8, va="bottom")
    ax.set_yticks(y, labels)
    longest = max(100 * r.macs / standard for r in rows)
    ax.set_xlim(0, max(100, longest) * 1.45)
    ax.set_ylim(-0.6, len(rows) - 0.1)
    ax.set_xlabel("multiply-accumulates, % of the standard convolution (parameters scale the same way)")
    ax.grid(axis="y", visible=False)
    ax.set_title(
        f"{in_channels} → {out_channels} channels, {kernel}×{kernel} kernel, {size}×{size} map, g = {groups}",
        loc="left",
        pad=14,
    )
    fig.subplots_adjust(left=0.2, right=0.98, top=0.86, bottom=0.15)
    return _detached(fig)


CHANNEL_OPTIONS = [8, 16, 32, 64, 128, 256, 512, 1024]
GROUP_OPTIONS = [1, 2, 4, 8]  # every one divides every channel option
KERNEL_OPTIONS = [1, 3, 5, 7]
SIZE_OPTIONS = [7, 14, 28, 56, 112, 224]


def explorer_controls(
    kernel: int = 3, in_channels: int = 512, out_channels: int = 512, groups: int = 4, size: int = 14
) -> dict[str, SelectionSlider]:
    """The sliders of lesson 01's cost explorer (options chosen so that every ``groups`` divides)."""
    from .. import widgets

    return {
        "kernel": widgets.options_slider("kernel Dk", KERNEL_OPTIONS, kernel),
        "in_channels": widgets.options_slider("input channels M", CHANNEL_OPTIONS, in_channels),
        "out_channels": widgets.options_slider("output channels N", CHANNEL_OPTIONS, out_channels),
        "groups": widgets.options_slider("groups g", GROUP_OPTIONS, groups),
        "size": widgets.options_slider("feature map Df", SIZE_OPTIONS, size),
    }


def cost_explorer(**start: int) -> Explorer:
    """Lesson 01's explorer: five sliders, the cost table of every variant, and the bar chart.

    ``start`` sets the sliders' first values (``kernel``, ``in_channels``, ``out_channels``, ``groups``,
    ``size``); every option offered keeps ``groups`` a divisor of both channel counts.
    """
    from .. import widgets

    return widgets.Explorer(
        explorer_controls(**start),
        plot=cost_chart,
        readout=cost_readout,
        height="300px",
        title="What each convolution variant costs",
    )


__all__ = [
    "CHANNEL_OPTIONS",
    "CHART_SIZE",
    "GROUP_OPTIONS",
    "KERNEL_OPTIONS",
    "SIZE_OPTIONS",
    "VARIANT_LABELS",
    "VARIANT_NAMES",
    "VariantCost",
    "cost_chart",
    "cost_explorer",
    "cost_readout",
    "explorer_controls",
    "variant_costs",
]
