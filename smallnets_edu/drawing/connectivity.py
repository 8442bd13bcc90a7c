"""Connectivity diagrams: which input channels, and which pixels, feed each output channel.

In the spirit of yu4u's "Why MobileNet and its variants (e.g. ShuffleNet) are fast" (2017): every
convolution variant is drawn as columns of channels with a line wherever a weight connects an input
channel to an output channel, beside the window of pixels one output pixel sees. What is drawn is
measured on real PyTorch layers by :mod:`smallnets_edu.drawing.wiring`.

- :func:`connectivity` draws one variant by name or any list of steps.
- :func:`stack` draws grouped layers one after another, with or without a channel shuffle between
  them (ShuffleNet, Zhang et al. 2017, arXiv 1707.01083): node colours show which input groups can
  reach each channel.
- :func:`kernel_footprint` draws only the pixel windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import Rectangle

from .. import plots
from .common import INK, _detached
from .wiring import (
    _ALIASES,
    Layer,
    _compose,
    _origins_from,
    _placed,
    conv,
    links,
    receptive_field,
    variant_layers,
)
from .wiring import shuffle as _shuffle_step  # stack() has a parameter called ``shuffle``

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CONNECTIVITY_SIZE = (9.0, 3.6)  # every connectivity figure has this size (nbval compares it)
FOOTPRINT_SIZE = (5.0, 2.2)

# Node colours: which group of the input a channel's information comes from. Pastel, so they never
# compete with the layer-kind colours of plots.KIND_COLOURS that the links use.
GROUP_COLOURS = (
    "#A1C9F4",
    "#FFB482",
    "#8DE5A1",
    "#FF9F9B",
    "#D0BBFF",
    "#DEBB9B",
    "#FAB0E4",
    "#FFFEA3",
    "#B9F2F0",
    "#CFCFCF",
)
NEUTRAL = "#E6E6E6"
SHUFFLE_COLOUR = plots.kind_colour("shuffle")
TOGETHER_COLOUR = "#4D4D4D"

# --------------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------------


def _group_colour(group: int) -> str:
    return GROUP_COLOURS[group % len(GROUP_COLOURS)]


def _default_colour_groups(placed: list[tuple[Layer, int]], in_channels: int) -> int:
    """Colour the inputs by the groups of the first layer that splits them (one colour otherwise)."""
    for layer, channels in placed:
        groups = layer.resolve(channels).groups
        if groups > 1:
            return groups if channels == in_channels else 1
    return 1


def _text(ax, x, y, s, **kw) -> None:
    ax.text(x, y, s, **{"ha": "center", "va": "center", "fontsize": 8, "color": "#444444", **kw})


def _draw_graph(ax, layers, in_channels: int, colour_groups: int | None, highlight: int | None) -> str:
    placed = _placed(layers, in_channels)
    steps = links(layers, in_channels)
    if colour_groups is None:
        colour_groups = _default_colour_groups(placed, in_channels)
    colours = _origins_from(steps, in_channels, colour_groups)
    counts = [in_channels] + [step.shape[0] for step in steps]
    tallest, n_cols = max(counts), len(counts)

    def y_of(i: int, n: int) -> float:
        return (n - 1) / 2 - i

    node_w, node_h = 0.10 + 0.02 * max(0, 4 - n_cols), 0.72
    # The channels on the paths into the highlighted output channel, column by column.
    active: list[set] = [set() for _ in counts]
    if highlight is not None:
        if not isinstance(highlight, int) or not 0 <= highlight < counts[-1]:
            raise ValueError(
                f"highlight must be an output channel between 0 and {counts[-1] - 1}, got {highlight!r}"
            )
        active[-1] = {highlight}
        for j in range(n_cols - 2, -1, -1):
            active[j] = {int(i) for o in active[j + 1] for i in np.flatnonzero(steps[j][o])}

    for j, step in enumerate(steps):
        layer, channels = placed[j]
        colour = SHUFFLE_COLOUR if layer.op == "shuffle" else plots.kind_colour(layer.kind(channels))
        faint, bold = [], []
        for o, i in zip(*np.nonzero(step), strict=True):
            segment = [(j + node_w / 2, y_of(i, counts[j])), (j + 1 - node_w / 2, y_of(o, counts[j + 1]))]
            (bold if o in active[j + 1] and i in active[j] else faint).append(segment)
        alpha = 0.12 if highlight is not None else min(0.8, max(0.25, 6 / max(1.0, step.sum() ** 0.5)))
        ax.add_collection(LineCollection(faint, colors=colour, linewidths=0.9, alpha=alpha, zorder=1))
        if bold:
            ax.add_collection(LineCollection(bold, colors=colour, linewidths=2.0, alpha=0.95, zorder=2))
        _text(
            ax,
            j + 0.5,
            tallest / 2 + 0.35,
            layer.title(channels),
            va="bottom",
            color=colour,
            fontsize=9,
            fontweight="bold",
        )

    fills, frames = [], []
    for j, column in enumerate(colours):
        n = counts[j]
        for i, groups in enumerate(column):
            x0, y0 = j - node_w / 2, y_of(i, n) - node_h / 2
            stripes = sorted(groups) if colour_groups > 1 else []
            width = node_w / max(1, len(stripes))
            for s, g in enumerate(stripes):
                fills.append(
                    Rectangle(
                        (x0 + s * width, y0), width, node_h, facecolor=_group_colour(g), edgecolor="none"
                    )
                )
            frames.append(
                Rectangle(
                    (x0, y0),
                    node_w,
                    node_h,
                    facecolor="none" if stripes else NEUTRAL,
                    edgecolor=INK,
                    linewidth=1.6 if i in active[j] else 0.6,
                )
            )
            if n <= 24 and j in (0, n_cols - 1):
                side = -1 if j == 0 else 1
                _text(
                    ax,
                    j + side * (node_w / 2 + 0.04),
                    y_of(i, n),
                    str(i),
                    ha="right" if j == 0 else "left",
                    fontsize=7,
                    color="#666666",
                )
        name = "input" if j == 0 else ("output" if j == n_cols - 1 else "")
        _text(ax, j, -tallest / 2 - 0.25, f"{name}\n{n} ch".strip(), va="top")
    ax.add_collection(PatchCollection(fills, match_original=True, zorder=3))
    ax.add_collection(PatchCollection(frames, match_original=True, zorder=4))
    ax.set_xlim(-0.35, n_cols - 1 + 0.35)
    ax.set_ylim(-tallest / 2 - 1.9, tallest / 2 + 1.5)
    ax.axis("off")

    fed = _compose(steps).sum(axis=1)
    if highlight is not None:
        return (
            f"output channel {highlight} is fed by {int(fed[highlight])} of the {in_channels} input channels"
        )
    few, many = int(fed.min()), int(fed.max())
    seen = f"{few}" if few == many else f"{few} to {many}"
    return f"each output channel is fed by {seen} of the {in_channels} input channels"


def _window_label(layer: Layer, in_channels: int) -> str:
    kh, kw = layer.resolve(in_channels).kernel
    word = layer.kind(in_channels).split(" ")[0]
    return f"{'standard' if word == 'conv' else word}\n{kh}×{kw}"


def _draw_footprint(ax, layers, in_channels: int) -> None:
    placed = _placed(layers, in_channels)
    convs = [(layer, c) for layer, c in placed if layer.op == "conv"]
    ax.axis("off")
    ax.set_aspect("equal")
    if not convs:
        _text(
            ax,
            0.5,
            0.5,
            "moves whole channels:\nno pixel is combined\nwith another",
            fontsize=9,
            color="#555555",
            transform=ax.transAxes,
        )
        return
    windows = [
        (
            _window_label(layer, c),
            np.ones(layer.resolve(c).kernel, dtype=bool),
            plots.kind_colour(layer.kind(c)),
        )
        for layer, c in convs
    ]
    if len(convs) > 1:
        windows.append(("together\n", receptive_field(layers, in_channels), TOGETHER_COLOUR))
    frame = max(3, *(max(mask.shape) for _, mask, _ in windows))
    frame += 1 - frame % 2  # odd, so every window sits on a centre pixel
    gap, cells, centres = 1.2, [], []
    for k, (label, mask, colour) in enumerate(windows):
        x_off = k * (frame + gap)
        top, left = (frame - mask.shape[0]) // 2, (frame - mask.shape[1]) // 2
        for r in range(frame):
            for c in range(frame):
                inside = 0 <= r - top < mask.shape[0] and 0 <= c - left < mask.shape[1]
                lit = inside and mask[r - top, c - left]
                cells.append(
                    Rectangle(
                        (x_off + c, frame - 1 - r),
                        1,
                        1,
                        facecolor=colour if lit else "white",
                        edgecolor="#BBBBBB",
                        linewidth=0.6,
                    )
                )
        middle = frame // 2
        centres.append(Rectangle((x_off + middle, frame - 1 - middle), 1, 1))
        _text(ax, x_off + frame / 2, -0.4, label, va="top", color=colour)
        if k < len(windows) - 1:
            arrow = "=" if windows[k + 1][0].startswith("together") else "→"
            _text(ax, x_off + frame + gap / 2, frame / 2, arrow, fontsize=11, color="#888888")
    ax.add_collection(PatchCollection(cells, match_original=True))
    ax.add_collection(PatchCollection(centres, facecolor="none", edgecolor=INK, linewidth=1.4))
    width = len(windows) * frame + (len(windows) - 1) * gap
    span = max(width, 3 * frame + 2 * gap)
    ax.set_xlim(-(span - width) / 2 - 0.2, width + (span - width) / 2 + 0.2)
    ax.set_ylim(-2.6, frame + 1.6)
    _text(ax, width / 2, frame + 0.5, "pixels one output pixel sees", va="bottom", fontsize=9)


def connectivity(
    kind: str | Sequence[Layer | int] = "standard",
    in_channels: int = 8,
    out_channels: int | None = None,
    groups: int = 2,
    kernel: int = 3,
    highlight: int | None = None,
    colour_groups: int | None = None,
    title: str | None = None,
) -> Figure:
    """Which input channels (left panel) and which pixels (right panel) feed each output channel.

    ``kind`` names a variant (see :data:`KINDS`) or is a list of steps (:func:`conv`,
    :func:`depthwise`, :func:`shuffle`, or an int for a grouped 1x1 conv). ``highlight`` picks one
    output channel and draws the paths into it in bold. Node colours show the input groups that reach
    each channel (``colour_groups`` of them; by default the groups of the first grouped layer).
    Links take the colour of their layer's kind (:data:`smallnets_edu.plots.KIND_COLOURS`).
    Every figure has the same size, :data:`CONNECTIVITY_SIZE`.
    """
    if isinstance(kind, str):
        layers = variant_layers(kind, in_channels, out_channels, groups, kernel)
        name = _ALIASES.get(kind, kind)
    else:
        layers, name = list(kind), None
    fig, (graph, window) = plots.figure(
        *CONNECTIVITY_SIZE, ncols=2, gridspec_kw={"width_ratios": [2.3, 1.0], "wspace": 0.05}
    )
    graph.grid(False)
    window.grid(False)
    caption = _draw_graph(graph, layers, in_channels, colour_groups, highlight)
    _draw_footprint(window, layers, in_channels)
    heading = title or (_HEADINGS.get(name) if name else None) or "Connectivity"
    fig.suptitle(f"{heading}: {caption}", x=0.02, ha="left", fontsize=11)
    fig.subplots_adjust(left=0.02, right=0.99, top=0.86, bottom=0.04)
    return _detached(fig)


_HEADINGS = {
    "standard": "Standard convolution",
    "pointwise": "Pointwise (1×1) convolution",
    "grouped": "Grouped convolution",
    "depthwise": "Depthwise convolution",
    "separable": "Depthwise-separable convolution",
    "spatial": "Spatially separable convolution",
    "depthwise_spatial": "Depthwise spatially separable convolution",
    "shuffle": "Channel shuffle",
}


def stack(
    layers: Sequence[Layer | int] = (3, 3),
    channels: int = 12,
    shuffle: bool = False,
    highlight: int | None = None,
    title: str | None = None,
) -> Figure:
    """Grouped layers one after another, with a channel shuffle between them when ``shuffle``.

    An int in ``layers`` is a grouped 1x1 convolution with that many groups (ShuffleNet's grouped
    pointwise layer). Without shuffle, information never leaves its group: every output channel
    still depends on one group of the input only. With shuffle, the next layer's groups each receive
    a channel from every group (Zhang et al. 2017, Figure 1).
    """
    steps: list[Layer | int] = []
    channels_now = channels
    for k, layer in enumerate(layers):
        steps.append(layer)
        if isinstance(layer, int) and not isinstance(layer, bool):
            layer = conv(None, 1, layer)
        resolved = layer.resolve(channels_now)
        channels_now = resolved.out_channels
        if shuffle and k < len(layers) - 1 and resolved.op == "conv" and resolved.groups > 1:
            steps.append(_shuffle_step(resolved.groups))
    heading = title or ("Grouped layers with channel shuffle" if shuffle else "Grouped layers, no shuffle")
    return connectivity(steps, in_channels=channels, highlight=highlight, title=heading)


def kernel_footprint(
    kind: str | Sequence[Layer | int] = "standard",
    kernel: int = 3,
    in_channels: int = 4,
    out_channels: int | None = None,
) -> Figure:
    """Only the pixel windows: what one output pixel sees, per layer and (for several layers) together."""
    layers = (
        variant_layers(kind, in_channels, out_channels, 2, kernel) if isinstance(kind, str) else list(kind)
    )
    fig, ax = plots.figure(*FOOTPRINT_SIZE)
    ax.grid(False)
    _draw_footprint(ax, layers, in_channels)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.98, bottom=0.02)
    return _detached(fig)


__all__ = [
    "CONNECTIVITY_SIZE",
    "FOOTPRINT_SIZE",
    "GROUP_COLOURS",
    "NEUTRAL",
    "SHUFFLE_COLOUR",
    "TOGETHER_COLOUR",
    "connectivity",
    "kernel_footprint",
    "stack",
]
