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

The last section holds lesson 01's cost explorer (:func:`cost_explorer`): its readout and chart put
the cost formulas of :mod:`smallnets_edu.cost` side by side for every variant.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import Rectangle
from torch import nn

from . import cost, plots
from .blocks import ChannelShuffle

MAX_CHANNELS = 32  # more lines than this per column turn into a grey smear
CONNECTIVITY_SIZE = (9.0, 3.6)  # every connectivity figure has this size (nbval compares it)
FOOTPRINT_SIZE = (5.0, 2.2)
CHART_SIZE = (8.0, 3.4)

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
INK = "#333333"
SHUFFLE_COLOUR = plots.kind_colour("shuffle")
TOGETHER_COLOUR = "#4D4D4D"

KINDS = (
    "standard",
    "pointwise",
    "grouped",
    "depthwise",
    "separable",
    "spatial",
    "depthwise_spatial",
    "shuffle",
)
_ALIASES = {
    "conv": "standard",
    "1x1": "pointwise",
    "depthwise_separable": "separable",
    "spatially_separable": "spatial",
    "channel_shuffle": "shuffle",
}


# --------------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One column-to-column step of a diagram: a convolution or a channel shuffle.

    ``out_channels=None`` keeps the channel count; ``depthwise=True`` sets ``groups`` to the number of
    input channels when the layer is placed (and ``out_channels`` may then be a multiple of them).
    """

    op: str = "conv"  # "conv" or "shuffle"
    out_channels: int | None = None
    kernel: tuple[int, int] = (1, 1)
    groups: int = 1
    depthwise: bool = False
    label: str | None = None

    def resolve(self, in_channels: int) -> Layer:
        """This layer with its channel counts and groups made concrete for ``in_channels`` inputs."""
        out = in_channels if self.out_channels is None else self.out_channels
        groups = in_channels if self.depthwise else self.groups
        if self.op == "shuffle":
            out = in_channels
        if self.op not in ("conv", "shuffle"):
            raise ValueError(f"a diagram step is a 'conv' or a 'shuffle', got op={self.op!r}")
        kh, kw = self.kernel
        checks = (("channels", in_channels), ("out_channels", out), ("groups", groups))
        for name, value in (*checks, ("kernel height", kh), ("kernel width", kw)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if max(in_channels, out) > MAX_CHANNELS:
            raise ValueError(
                f"a diagram draws at most {MAX_CHANNELS} channels per column, got {max(in_channels, out)}; "
                "draw a smaller layer: the pattern is the same"
            )
        if in_channels % groups or out % groups:
            raise ValueError(
                f"groups={groups} must divide both the {in_channels} input and the {out} output channels; "
                f"choose channel counts that are multiples of {groups}"
            )
        return replace(self, out_channels=out, groups=groups, depthwise=False, label=self.label)

    def module(self, in_channels: int) -> nn.Module:
        """The PyTorch layer this step stands for, every weight set to one."""
        layer = self.resolve(in_channels)
        if layer.op == "shuffle":
            return ChannelShuffle(layer.groups)
        kh, kw = layer.kernel
        conv = nn.Conv2d(
            in_channels,
            layer.out_channels,
            (kh, kw),
            padding=(kh // 2, kw // 2),
            groups=layer.groups,
            bias=False,
        )
        nn.init.ones_(conv.weight)
        return conv

    def kind(self, in_channels: int) -> str:
        """The layer's kind in the vocabulary of :func:`smallnets_edu.cost.layer_kind`."""
        if self.op == "shuffle":
            return "shuffle"
        return cost.layer_kind(self.module(in_channels))

    def title(self, in_channels: int) -> str:
        if self.label:
            return self.label
        layer = self.resolve(in_channels)
        if layer.op == "shuffle":
            return f"shuffle, g={layer.groups}"
        kh, kw = layer.kernel
        kind = layer.kind(in_channels)
        size = f"{kh}×{kw}"
        if kind.startswith("depthwise"):
            return f"depthwise {size}"
        if kind.startswith("grouped"):
            return f"grouped {size}, g={layer.groups}"
        if kind == "pointwise":
            return "pointwise 1×1"
        return f"conv {size}"


def conv(
    out_channels: int | None = None,
    kernel: int | tuple[int, int] = 1,
    groups: int = 1,
    label: str | None = None,
) -> Layer:
    """A convolution step (``groups`` > 1 for a grouped one)."""
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    return Layer("conv", out_channels, kernel, groups, False, label)


def depthwise(kernel: int | tuple[int, int] = 3, multiplier: int = 1, label: str | None = None) -> Layer:
    """A depthwise step: one filter per input channel (``multiplier`` filters with a depth multiplier)."""
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    if multiplier == 1:
        return Layer("conv", None, kernel, 1, True, label)
    return _DepthwiseMultiplier(kernel=kernel, multiplier=multiplier, label=label)


@dataclass(frozen=True)
class _DepthwiseMultiplier(Layer):
    multiplier: int = 1

    def resolve(self, in_channels: int) -> Layer:
        return Layer(
            "conv", in_channels * self.multiplier, self.kernel, in_channels, False, self.label
        ).resolve(in_channels)


def shuffle(groups: int, label: str | None = None) -> Layer:
    """A channel shuffle step (a fixed permutation; no weights)."""
    return Layer("shuffle", None, (1, 1), groups, False, label)


_shuffle_step = shuffle  # stack() has a parameter called ``shuffle``


def variant_layers(
    kind: str, in_channels: int = 8, out_channels: int | None = None, groups: int = 2, kernel: int = 3
) -> list[Layer]:
    """The steps that make up a named convolution variant."""
    kind = _ALIASES.get(kind, kind)
    n = out_channels
    if kind == "standard":
        return [conv(n, kernel, label=f"standard {kernel}×{kernel}")]
    if kind == "pointwise":
        return [conv(n, 1)]
    if kind == "grouped":
        return [conv(n, kernel, groups)]
    if kind == "depthwise":
        if n is not None and n % in_channels:
            raise ValueError(
                f"a depthwise layer keeps {in_channels} channels (or a multiple with a depth multiplier), "
                f"got out_channels={n}"
            )
        return [depthwise(kernel, 1 if n is None else n // in_channels)]
    if kind == "separable":
        return [depthwise(kernel), conv(n, 1)]
    if kind == "spatial":
        return [conv(n, (1, kernel)), conv(None, (kernel, 1))]
    if kind == "depthwise_spatial":
        return [depthwise((1, kernel)), depthwise((kernel, 1))]
    if kind == "shuffle":
        return [shuffle(groups)]
    raise ValueError(f"unknown convolution variant {kind!r}; choose one of {', '.join(KINDS)}")


def _placed(layers: Sequence[Layer | int], in_channels: int) -> list[tuple[Layer, int]]:
    """Each step resolved, with the channel count it receives. An int stands for a grouped 1x1 conv."""
    placed, channels = [], in_channels
    for layer in layers:
        if isinstance(layer, int) and not isinstance(layer, bool):
            layer = conv(None, 1, layer)
        if not isinstance(layer, Layer):
            raise ValueError(
                f"a diagram step is a Layer (conv(), depthwise(), shuffle()) or an int, got {layer!r}"
            )
        resolved = layer.resolve(channels)
        placed.append((layer, channels))
        channels = resolved.out_channels
    if not placed:
        raise ValueError("a diagram needs at least one layer")
    return placed


# --------------------------------------------------------------------------------------------------
# What connects to what, measured with PyTorch
# --------------------------------------------------------------------------------------------------


@torch.no_grad()
def _links_of(layer: Layer, in_channels: int) -> np.ndarray:
    module = layer.module(in_channels)
    one_hot = torch.eye(in_channels).view(in_channels, in_channels, 1, 1)  # image i lights channel i only
    out = module(one_hot)  # (input channel, output channel, h, w)
    return (out.abs().sum(dim=(2, 3)) > 0).T.numpy()


def links(layers: Sequence[Layer | int], in_channels: int) -> list[np.ndarray]:
    """For every step, a boolean matrix ``[out, in]``: True where input channel ``in`` feeds ``out``."""
    return [_links_of(layer, channels) for layer, channels in _placed(layers, in_channels)]


def _compose(steps: list[np.ndarray]) -> np.ndarray:
    total = steps[0]
    for step in steps[1:]:
        total = (step.astype(int) @ total.astype(int)) > 0
    return total


def reach(layers: Sequence[Layer | int], in_channels: int) -> np.ndarray:
    """Boolean ``[out, in]`` for the whole stack: can input channel ``in`` influence output ``out``?"""
    return _compose(links(layers, in_channels))


def receptive_field(layers: Sequence[Layer | int], in_channels: int) -> np.ndarray:
    """Boolean ``[h, w]``: the input pixels that feed the centre pixel of the last output.

    Read off the gradient of that pixel through the stack of all-ones layers.
    """
    placed = _placed(layers, in_channels)
    rh = sum(layer.resolve(c).kernel[0] // 2 for layer, c in placed)
    rw = sum(layer.resolve(c).kernel[1] // 2 for layer, c in placed)
    x = torch.ones(1, in_channels, 2 * rh + 1, 2 * rw + 1, requires_grad=True)
    y = x
    for layer, channels in placed:
        y = layer.module(channels)(y)
    y[0, :, rh, rw].sum().backward()
    return (x.grad.abs().sum(dim=(0, 1)) > 0).numpy()


def _origins_from(steps: list[np.ndarray], in_channels: int, colour_groups: int) -> list[list[frozenset]]:
    if isinstance(colour_groups, bool) or not isinstance(colour_groups, int) or colour_groups < 1:
        raise ValueError(f"colour_groups must be a positive integer, got {colour_groups!r}")
    if in_channels % colour_groups:
        raise ValueError(f"colour_groups={colour_groups} must divide the {in_channels} input channels")
    size = in_channels // colour_groups
    columns = [[frozenset({i // size}) for i in range(in_channels)]]
    for step in steps:
        prev = columns[-1]
        columns.append([frozenset().union(*(prev[i] for i in np.flatnonzero(row))) for row in step])
    return columns


def origins(layers: Sequence[Layer | int], in_channels: int, colour_groups: int) -> list[list[frozenset]]:
    """For every column (input first), the set of input groups that reach each channel.

    The input's channels are split into ``colour_groups`` equal, consecutive groups.
    """
    return _origins_from(links(layers, in_channels), in_channels, colour_groups)


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


def _detached(fig):
    """Close ``fig`` in pyplot and return it.

    A cell that ends with ``diagrams.connectivity(...)`` then shows the figure exactly once (as the
    cell's result) instead of twice (result, then pyplot's inline flush), and scripts or loops that
    draw many diagrams leak no open figures. So end such a cell with the call itself, not with ``;``.
    """
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


def connectivity(
    kind: str | Sequence[Layer | int] = "standard",
    in_channels: int = 8,
    out_channels: int | None = None,
    groups: int = 2,
    kernel: int = 3,
    highlight: int | None = None,
    colour_groups: int | None = None,
    title: str | None = None,
):
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
):
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
    kind: str | Sequence[Layer | int] = "standard", kernel: int = 3, in_channels: int = 4, out_channels=None
):
    """Only the pixel windows: what one output pixel sees, per layer and (for several layers) together."""
    layers = (
        variant_layers(kind, in_channels, out_channels, 2, kernel) if isinstance(kind, str) else list(kind)
    )
    fig, ax = plots.figure(*FOOTPRINT_SIZE)
    ax.grid(False)
    _draw_footprint(ax, layers, in_channels)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.98, bottom=0.02)
    return _detached(fig)


# --------------------------------------------------------------------------------------------------
# Lesson 01's cost explorer: every variant at one setting
# --------------------------------------------------------------------------------------------------

VARIANT_NAMES = (
    "standard",
    "pointwise",
    "grouped",
    "depthwise",
    "separable",
    "spatial",
    "shuffle",
)
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


def cost_chart(kernel: int, in_channels: int, out_channels: int, groups: int, size: int):
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
):
    """The sliders of lesson 01's cost explorer (options chosen so that every ``groups`` divides)."""
    from . import widgets

    return {
        "kernel": widgets.options_slider("kernel Dk", KERNEL_OPTIONS, kernel),
        "in_channels": widgets.options_slider("input channels M", CHANNEL_OPTIONS, in_channels),
        "out_channels": widgets.options_slider("output channels N", CHANNEL_OPTIONS, out_channels),
        "groups": widgets.options_slider("groups g", GROUP_OPTIONS, groups),
        "size": widgets.options_slider("feature map Df", SIZE_OPTIONS, size),
    }


def cost_explorer(**start):
    """Lesson 01's explorer: five sliders, the cost table of every variant, and the bar chart.

    ``start`` sets the sliders' first values (``kernel``, ``in_channels``, ``out_channels``, ``groups``,
    ``size``); every option offered keeps ``groups`` a divisor of both channel counts.
    """
    from . import widgets

    return widgets.Explorer(
        explorer_controls(**start),
        plot=cost_chart,
        readout=cost_readout,
        height="300px",
        title="What each convolution variant costs",
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
