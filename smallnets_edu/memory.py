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
largest tensor that must be materialised; this module computes that table from our models.

- :func:`tensors` runs one image through a model and lists every tensor it makes, each flagged
  ``materialised`` (a tensor passed between blocks, which streamed inference must hold whole) or not
  (a tensor inside a block, or one that flows straight into per-channel work).
- :func:`largest` keeps the largest tensor at each spatial size: over every tensor (layer-by-layer
  inference) or over the materialised ones (streamed inference). ``TABLE3_ARXIV_V4`` and
  ``TABLE3_MAX`` hold the paper's two printings of Table 3.
- :func:`sliced_forward` runs an :class:`~smallnets_edu.models.mobilenet_v2.InvertedResidual` slice by
  slice, exactly equal to the block, and reports how much it held at once.
- :func:`mobilenet_v2_rows` is MobileNetV2's cost row by row of Table 2 from the formulas (parameters,
  MACs, and both memory figures) in microseconds, for explorers; the tests hold it equal to
  :func:`smallnets_edu.cost.profile` and :func:`tensors` on the built model.
- :func:`block_diagram` draws a residual block (wide -> narrow -> wide) beside an inverted residual
  block (narrow -> wide -> narrow) with their channel counts (the paper's Figure 3).
- :func:`quantization_step`, :func:`fake_quantize` and :func:`relu6_inputs` are for ReLU6 and
  8-bit activations: a bounded range fixes the step of a fixed-point grid before any data is seen.

Units: Table 3 prints "Kb" of 16-bit values; its numbers are thousands of bytes (112 x 112 x 64
values x 2 bytes = 1,605,632 bytes is printed 1600), so :func:`kb` divides by 1000.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import plots
from .blocks import DepthwiseSeparable, make_divisible
from .models.mobilenet_v2 import (
    TABLE2_LAST_CHANNELS,
    TABLE2_ROWS,
    TABLE2_STEM_CHANNELS,
    VARIANT_STRIDES,
    InvertedResidual,
)
from .models.shufflenet_v1 import ShuffleUnit

BLOCKS = (InvertedResidual, ShuffleUnit, DepthwiseSeparable)
_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_SKIP = (nn.Flatten, nn.Dropout, nn.Identity)  # make no new tensor (a view, or nothing in eval mode)

# MobileNetV2 Table 3 (arXiv v4): per resolution, (max channels, memory in Kb of 16-bit values) for
# MobileNetV1, MobileNetV2 and ShuffleNet (2x, g=3).
TABLE3_ARXIV_V4: dict[str, dict[int, tuple[int, int]]] = {
    "MobileNetV1": {
        112: (64, 1600),
        56: (128, 800),
        28: (256, 400),
        14: (512, 200),
        7: (1024, 199),
        1: (1024, 2),
    },
    "MobileNetV2": {112: (16, 400), 56: (32, 200), 28: (64, 100), 14: (160, 62), 7: (320, 32), 1: (1280, 2)},
    "ShuffleNet (2x, g=3)": {
        112: (32, 800),
        56: (48, 300),
        28: (400, 600),
        14: (800, 310),
        7: (1600, 156),
        1: (1600, 3),
    },
}
# The "max" row of Table 3 in the two printings (Kb).
TABLE3_MAX: dict[str, dict[str, int]] = {
    "arXiv v4": {"MobileNetV1": 1600, "MobileNetV2": 400, "ShuffleNet (2x, g=3)": 600},
    "CVPR 2018": {"MobileNetV1": 800, "MobileNetV2": 200, "ShuffleNet (2x, g=3)": 600},
}


def kb(n_bytes: float) -> float:
    """Table 3's unit: thousands of bytes."""
    return n_bytes / 1000


# --------------------------------------------------------------------------------------------------
# 1. Which tensors a network makes, and which must exist whole
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tensor:
    """One tensor of a forward pass (batch 1)."""

    name: str  # the module that made it ("input" for the image)
    channels: int
    height: int
    width: int
    materialised: bool  # must streamed inference hold it whole?
    unit: str  # the block (or top-level layer) it belongs to

    @property
    def values(self) -> int:
        return self.channels * self.height * self.width

    def bytes(self, bytes_per_value: int = 2) -> int:
        return self.values * bytes_per_value

    @property
    def side(self) -> tuple[int, int]:
        return (self.height, self.width)


def _units(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model as a flat sequence of blocks and top-level layers, in execution order.

    ``SmallNet`` is ``features`` then ``classifier``; a ``Sequential`` of blocks (a stage, a row of
    Table 2) is opened up so each block is one unit.
    """
    names = {m: n for n, m in model.named_modules()}
    parts = [model.features, model.classifier] if hasattr(model, "features") else [model]

    def walk(module: nn.Module) -> list[tuple[str, nn.Module]]:
        if isinstance(module, nn.Sequential) and not isinstance(module, BLOCKS) and not _is_conv_unit(module):
            return [unit for child in module.children() for unit in walk(child)]
        return [(names[module], module)]

    units = [unit for part in parts for unit in walk(part)]
    return [(n, m) for n, m in units if not isinstance(m, _SKIP)]


def _is_conv_unit(module: nn.Module) -> bool:
    """A convolution with its BatchNorm and activation (``ConvBNAct``): one layer, not a stage."""
    children = list(module.children())
    return bool(children) and isinstance(children[0], nn.Conv2d) and not isinstance(module, BLOCKS)


def _first_op(module: nn.Module) -> nn.Module | None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, *_POOLS)):
            return m
    return None


def starts_per_channel(module: nn.Module) -> bool:
    """Does ``module`` begin with work done channel by channel (a depthwise conv or a pooling)?

    Then the tensor feeding it can be produced a few channels at a time and never held whole.
    """
    first = _first_op(module)
    if isinstance(first, _POOLS):
        return True
    return isinstance(first, nn.Conv2d) and first.groups == first.in_channels and first.groups > 1


def tensors(model: nn.Module, resolution: int | tuple[int, int] = 224, in_channels: int = 3) -> list[Tensor]:
    """Every tensor one forward pass makes, in order, each flagged ``materialised`` or not.

    Recorded: the input; the output of every block and top-level layer; inside blocks, the output of
    every convolution and pooling. BatchNorm and activations work in place on a convolution's output
    and add no tensor of their own.

    ``materialised`` (what streamed inference must hold whole): the input, every block's output, the
    pooled features and the logits; a top-level convolution's output too, unless the next unit starts
    with per-channel work (:func:`starts_per_channel`), as MobileNetV2's first and last convolutions,
    MobileNet's first convolution and ShuffleNet's first convolution (before its max pool) do.
    """
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    units = _units(model)
    unit_of = {m: n for n, m in units}
    names = {m: n for n, m in model.named_modules()}
    stream_into_next = {
        units[i][1]: _is_conv_unit(units[i][1]) and starts_per_channel(units[i + 1][1])
        for i in range(len(units) - 1)
    }
    records = [Tensor("input", in_channels, h, w, True, "input")]
    current_unit: list[str] = ["input"]

    def record(module: nn.Module, output: torch.Tensor, materialised: bool) -> None:
        c, hh, ww = (output.shape[1], *output.shape[2:]) if output.dim() == 4 else (output.shape[-1], 1, 1)
        records.append(Tensor(names[module], int(c), int(hh), int(ww), materialised, current_unit[0]))

    def unit_pre(module, _inputs):
        current_unit[0] = unit_of[module]

    def unit_hook(module, _inputs, output):
        record(module, output, not stream_into_next.get(module, False))

    def inner_hook(module, _inputs, output):
        record(module, output, False)

    handles = []
    for _, unit in units:
        handles.append(unit.register_forward_pre_hook(unit_pre))
        if isinstance(unit, BLOCKS):
            for inner in unit.modules():
                if isinstance(inner, (nn.Conv2d, *_POOLS)):
                    handles.append(inner.register_forward_hook(inner_hook))
        handles.append(unit.register_forward_hook(unit_hook))
    was_training = model.training
    try:
        model.eval()
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        with torch.no_grad():
            model(torch.zeros(1, in_channels, h, w, device=device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return records


def largest(records: list[Tensor], streamed: bool = True) -> dict[tuple[int, int], Tensor]:
    """The largest tensor at each spatial size (largest first by size): over the materialised tensors
    when ``streamed``, over every tensor otherwise (layer-by-layer inference)."""
    out: dict[tuple[int, int], Tensor] = {}
    for t in records:
        if streamed and not t.materialised:
            continue
        if t.side not in out or t.values > out[t.side].values:
            out[t.side] = t
    return dict(sorted(out.items(), key=lambda item: -item[0][0] * item[0][1]))


def peak(records: list[Tensor], streamed: bool = True) -> Tensor:
    """The single largest tensor that must exist whole."""
    return max(largest(records, streamed).values(), key=lambda t: t.values)


# --------------------------------------------------------------------------------------------------
# 2. An inverted residual, slice by slice
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlicedRun:
    """The result of :func:`sliced_forward` and what it held in memory (values, batch included)."""

    output: torch.Tensor
    slices: int
    peak_values: int  # the most values held at once: input, output accumulator, one slice
    layer_by_layer_values: int  # the same when each layer runs whole (what one slice does)

    def saving(self) -> float:
        return self.layer_by_layer_values / self.peak_values


def _bn(x: torch.Tensor, bn: nn.BatchNorm2d, index: slice) -> torch.Tensor:
    def part(t):
        return None if t is None else t[index]

    return F.batch_norm(
        x, part(bn.running_mean), part(bn.running_var), part(bn.weight), part(bn.bias), False, 0.0, bn.eps
    )


def _layer_by_layer(block: InvertedResidual, x: torch.Tensor, out: torch.Tensor) -> int:
    """Values held at the busiest moment when each layer runs whole: its input and output (and the
    block's input, kept for the shortcut)."""
    n, _, h, w = x.shape
    ho, wo = out.shape[2:]
    expanded, filtered = n * block.hidden * h * w, n * block.hidden * ho * wo
    keep = x.numel() if block.use_residual else 0
    if block.expand is None:  # the depthwise layer reads x itself
        return max(x.numel() + filtered, keep + filtered + out.numel())
    return max(x.numel() + expanded, keep + expanded + filtered, keep + filtered + out.numel())


def sliced_forward(block: InvertedResidual, x: torch.Tensor, slices: int) -> SlicedRun:
    """Run ``block`` (in eval mode) with its expanded tensor cut into ``slices`` groups of channels.

    For each group: expand those channels (1x1 conv, BN, ReLU6), filter them (depthwise 3x3, BN,
    ReLU6), and add their contribution ``W_project[:, group] @ slice`` into the output. The projection
    is linear, so the sum over groups is exactly the full projection; its BatchNorm and the residual
    are applied once at the end. Equal to ``block(x)`` up to floating-point rounding.
    """
    if not isinstance(block, InvertedResidual):
        raise ValueError(f"sliced_forward runs a MobileNetV2 InvertedResidual, got {type(block).__name__}")
    if block.training:
        raise ValueError(
            "sliced_forward needs the block in eval mode (call block.eval()): in training, BatchNorm "
            "uses statistics of the whole batch"
        )
    hidden = block.hidden
    if isinstance(slices, bool) or not isinstance(slices, int) or not 1 <= slices <= hidden:
        raise ValueError(f"slices must be an integer from 1 to the expanded width {hidden}, got {slices!r}")
    dw_conv, dw_bn = block.depthwise[0], block.depthwise[1]
    pr_conv, pr_bn = block.project[0], block.project[1]
    bounds = [round(i * hidden / slices) for i in range(slices + 1)]
    out = None
    peak = 0
    for j, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        part = slice(a, b)
        # x stays while later slices still need it, or for the shortcut; the output accumulator exists
        # from the first projection on and is added into in place.
        keep_x = x.numel() if block.use_residual or j < slices - 1 else 0
        acc = out.numel() if out is not None else 0
        if block.expand is not None:
            ex_conv, ex_bn = block.expand[0], block.expand[1]
            e = F.relu6(_bn(F.conv2d(x, ex_conv.weight[part]), ex_bn, part))
            expanded, keep_dw = e.numel(), keep_x
            peak = max(peak, x.numel() + expanded + acc)
        else:
            e, expanded, keep_dw = x[:, part], 0, x.numel()  # the depthwise layer reads x itself
        d = F.conv2d(e, dw_conv.weight[part], None, dw_conv.stride, dw_conv.padding, groups=b - a)
        d = F.relu6(_bn(d, dw_bn, part))
        peak = max(peak, keep_dw + expanded + d.numel() + acc)
        contribution = F.conv2d(d, pr_conv.weight[:, part])
        out = contribution if out is None else out + contribution
        peak = max(peak, keep_x + d.numel() + out.numel())
    out = _bn(out, pr_bn, slice(None))
    if block.use_residual:
        out = out + x
    whole = _layer_by_layer(block, x, out)
    return SlicedRun(out, slices, peak, whole)


# --------------------------------------------------------------------------------------------------
# 3. MobileNetV2 by formula, row by row of Table 2
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of MobileNetV2's Table 2 with its cost (batch 1)."""

    operator: str
    t: float | None
    c: int  # output channels after the width multiplier
    n: int
    s: int
    in_side: int
    in_channels: int
    out_side: int
    params: int  # BatchNorm included, as cost.count_params
    params_no_bn: int  # as the papers count
    macs: int
    largest_values: int  # the largest tensor this row makes (layer-by-layer inference)
    materialised_values: int  # the largest tensor of this row that streamed inference must hold

    @property
    def input_label(self) -> str:
        """The paper's "Input" column: ``224² × 3``."""
        return f"{self.in_side}² × {self.in_channels}"


def _side(size: int, stride: int) -> int:
    return (size - 1) // stride + 1  # a 3x3 convolution with padding 1


def mobilenet_v2_rows(
    width_mult: float = 1.0,
    expansion: float = 6,
    resolution: int = 224,
    variant: str = "imagenet",
    num_classes: int = 1000,
) -> list[Row]:
    """MobileNetV2's cost per row of Table 2, from the formulas and the builder's rounding rules.

    Same network as ``models.build("mobilenet_v2", ...)`` (widths ``make_divisible(c * alpha, 8)``, the
    last conv 1280 unless alpha > 1, expanded width ``round(in * t)``), but no model is built: a call
    takes microseconds, fast enough for a slider. Rows: the first conv, the seven bottleneck rows, the
    last 1x1 conv, the average pool and the classifier.
    """
    if variant not in VARIANT_STRIDES:
        raise ValueError(f"variant must be one of {', '.join(VARIANT_STRIDES)}, got {variant!r}")
    if not width_mult > 0 or not expansion >= 1:
        raise ValueError(f"width_mult must be > 0 and expansion >= 1, got {width_mult!r} and {expansion!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
        raise ValueError(f"resolution must be a positive integer, got {resolution!r}")
    stem_stride, row24_stride = VARIANT_STRIDES[variant]
    rows: list[Row] = []
    stem = make_divisible(TABLE2_STEM_CHANNELS * width_mult, 8)
    side = _side(resolution, stem_stride)
    params = 27 * stem
    rows.append(
        Row(
            "conv2d 3x3",
            None,
            stem,
            1,
            stem_stride,
            resolution,
            3,
            side,
            params + 2 * stem,
            params,
            params * side * side,
            stem * side * side,
            0,  # flows straight into the first row's depthwise layer
        )
    )
    channels = stem
    for t, c, n, s in TABLE2_ROWS:
        s = row24_stride if c == 24 else s
        t_row = expansion if t == 6 else t
        out = make_divisible(c * width_mult, 8)
        row_in_side, row_in_channels = side, channels
        p = p_nobn = macs = big = kept = 0
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = int(round(channels * t_row))
            new_side = _side(side, stride)
            if t_row != 1:
                p_nobn += channels * hidden
                p += channels * hidden + 2 * hidden
                macs += channels * hidden * side * side
                big = max(big, hidden * side * side)
            p_nobn += 9 * hidden + hidden * out
            p += 9 * hidden + 2 * hidden + hidden * out + 2 * out
            macs += (9 * hidden + hidden * out) * new_side * new_side
            big = max(big, hidden * new_side * new_side, out * new_side * new_side)
            kept = max(kept, out * new_side * new_side)
            channels, side = out, new_side
        rows.append(
            Row(
                "bottleneck", t_row, out, n, s, row_in_side, row_in_channels, side, p, p_nobn, macs, big, kept
            )
        )
    last = make_divisible(TABLE2_LAST_CHANNELS * max(1.0, width_mult), 8)
    p = channels * last
    rows.append(
        Row(
            "conv2d 1x1",
            None,
            last,
            1,
            1,
            side,
            channels,
            side,
            p + 2 * last,
            p,
            p * side * side,
            last * side * side,
            0,
        )  # fmt: skip
    )
    rows.append(Row("avgpool", None, last, 1, 1, side, last, 1, 0, 0, 0, last, last))
    p = last * num_classes + num_classes
    rows.append(
        Row(
            "conv2d 1x1 (classifier)",
            None,
            num_classes,
            1,
            1,
            1,
            last,
            1,
            p,
            p,
            last * num_classes,
            num_classes,
            num_classes,
        )  # fmt: skip
    )
    return rows


@dataclass(frozen=True)
class V2Cost:
    params: int
    params_no_bn: int
    macs: int
    layer_by_layer_values: int  # the largest tensor, each layer run whole
    streamed_values: int  # the largest tensor streamed inference must hold (the input included)


def mobilenet_v2_cost(
    width_mult: float = 1.0,
    expansion: float = 6,
    resolution: int = 224,
    variant: str = "imagenet",
    num_classes: int = 1000,
) -> V2Cost:
    """Totals of :func:`mobilenet_v2_rows` (the input image counts as a tensor too)."""
    rows = mobilenet_v2_rows(width_mult, expansion, resolution, variant, num_classes)
    image = 3 * resolution * resolution
    return V2Cost(
        sum(r.params for r in rows),
        sum(r.params_no_bn for r in rows),
        sum(r.macs for r in rows),
        max(image, *(r.largest_values for r in rows)),
        max(image, *(r.materialised_values for r in rows)),
    )


# --------------------------------------------------------------------------------------------------
# 4. Figure: residual versus inverted residual
# --------------------------------------------------------------------------------------------------

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


def block_diagram(residual: tuple[int, int] = (256, 64), inverted: InvertedResidual | None = None):
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
    _draw_block(
        left,
        "(a) residual block: wide → narrow → wide",
        [(wide, False, False), (narrow, False, False), (narrow, False, False), (wide, False, False)],
        ["1x1 conv\nReLU", "3x3 conv\nReLU", "1x1 conv\n(ReLU after +)"],
        "+ shortcut between the wide tensors",
        2.6 / wide,
    )
    k, h, k2 = inverted.in_channels, inverted.hidden, inverted.out_channels
    _draw_block(
        right,
        "(b) inverted residual: narrow → wide → narrow",
        [(k, True, False), (h, False, True), (h, False, True), (k2, True, False)],
        ["1x1 conv\nReLU6", "3x3 depthwise\nReLU6", "1x1 conv\nlinear"],
        "+ shortcut between the narrow bottlenecks",
        2.6 / h,
    )
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


# --------------------------------------------------------------------------------------------------
# 5. ReLU6 and 8-bit activations
# --------------------------------------------------------------------------------------------------


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
