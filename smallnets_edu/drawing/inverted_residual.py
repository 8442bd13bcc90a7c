"""A classic residual block beside MobileNetV2's inverted residual (Sandler et al. 2018, Figure 3).

:func:`block_diagram` draws both with their channel counts: wide -> narrow -> wide beside
narrow -> wide -> narrow, marking the tensors that come out of a linear layer and those that streamed
inference never holds whole (:mod:`smallnets_edu.streamed_inference`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import plots
from ..models.mobilenet_v2 import InvertedResidual

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DIAGRAM_SIZE = (10.0, 3.8)


def _draw_block(ax, title, tensors_, ops, shortcut_label, scale) -> None:
    """Tensors as slabs of height proportional to channels; ops as labelled arrows between them."""
    from matplotlib.patches import FancyArrowPatch, Rectangle

    xs = [i * 2.6 for i in range(len(tensors_))]
    top = max(c for c, _, _ in tensors_) * scale / 2
    for x, (c, linear, streamed) in zip(xs, tensors_, strict=True):
        height = c * scale
        ax.add_patch(
            Rectangle(
                (x - 0.3, -height / 2),
                0.6,
                height,
                facecolor="#A1C9F4" if not linear else "white",
                edgecolor="#333333",
                hatch="///" if linear else None,
                linestyle="--" if streamed else "-",
                linewidth=1.2,
            )
        )
        ax.text(x, -height / 2 - 0.25, f"{c}", ha="center", va="top", fontsize=10, fontweight="bold")
    for x0, x1, label in zip(xs[:-1], xs[1:], ops, strict=True):
        ax.add_patch(FancyArrowPatch((x0 + 0.35, 0), (x1 - 0.35, 0), arrowstyle="-|>", mutation_scale=12))
        ax.text((x0 + x1) / 2, 0.15, label, ha="center", va="bottom", fontsize=8.5)
    ax.add_patch(
        FancyArrowPatch(
            (xs[0], top + 0.1),
            (xs[-1], top + 0.1),
            connectionstyle="arc3,rad=-0.25",
            arrowstyle="-|>",
            mutation_scale=12,
            color="#55A868",
            linewidth=1.5,
        )
    )
    ax.text((xs[0] + xs[-1]) / 2, top + 1.05, shortcut_label, ha="center", fontsize=9, color="#55A868")
    ax.set_xlim(-0.8, xs[-1] + 0.8)
    ax.set_ylim(-top - 0.9, top + 1.5)
    ax.set_title(title, fontsize=11)
    ax.axis("off")


def block_diagram(residual: tuple[int, int] = (256, 64), inverted: InvertedResidual | None = None) -> Figure:
    """A classic residual bottleneck beside MobileNetV2's inverted residual (the paper's Figure 3).

    ``residual`` is (wide, narrow) channels of a ResNet bottleneck (He et al. 2016: 256 -> 64 -> 64 ->
    256). The inverted block's channel counts are read from ``inverted`` (default:
    ``InvertedResidual(24, 24, stride=1, expansion=6)``, a block of Table 2's 56x56 row). Slab
    heights are proportional to channels within each panel; hatched slabs come out of a linear layer
    (no activation), dashed ones can be streamed in slices and never held whole.
    """
    if inverted is None:
        inverted = InvertedResidual(24, 24, stride=1, expansion=6)
    wide, narrow = residual
    fig, (left, right) = plots.figure(*DIAGRAM_SIZE, ncols=2)
    k, h, k2 = inverted.in_channels, inverted.hidden, inverted.out_channels
    panels = [  # (title, slabs as (channels, linear, streamed), layer labels, shortcut, slab height)
        (
            "(a) residual block: wide → narrow → wide",
            [(wide, False, False), (narrow, False, False), (narrow, False, False), (wide, False, False)],
            ["1x1 conv\nReLU", "3x3 conv\nReLU", "1x1 conv\n(ReLU after +)"],
            "+ shortcut between the wide tensors",
            2.6 / wide,
        ),
        (
            "(b) inverted residual: narrow → wide → narrow",
            [(k, True, False), (h, False, True), (h, False, True), (k2, True, False)],
            ["1x1 conv\nReLU6", "3x3 depthwise\nReLU6", "1x1 conv\nlinear"],
            "+ shortcut between the narrow bottlenecks",
            2.6 / h,
        ),
    ]
    for ax, panel in zip((left, right), panels, strict=True):
        _draw_block(ax, *panel)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.text(
        0.5,
        0.02,
        "slab height ∝ channels (per panel) · hatched: output of a linear layer (no activation) · "
        "dashed: computed in slices, never held whole",
        ha="center",
        fontsize=9,
        color="#555555",
    )
    return fig


__all__ = ["DIAGRAM_SIZE", "block_diagram"]
