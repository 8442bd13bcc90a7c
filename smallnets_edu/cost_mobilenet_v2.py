"""MobileNetV2's cost by formula, row by row of its Table 2 (Sandler et al. 2018, arXiv 1801.04381).

:func:`mobilenet_v2_rows` gives parameters, MACs and both memory figures (the largest tensor of each
row, layer by layer and streamed) in microseconds, for explorers; :func:`mobilenet_v2_cost` sums them.
The tests hold them equal to :func:`smallnets_edu.cost.profile` and
:func:`smallnets_edu.activation_memory.tensors` on the built model.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blocks import make_divisible
from .models.mobilenet_v2 import TABLE2_LAST_CHANNELS, TABLE2_ROWS, TABLE2_STEM_CHANNELS, VARIANT_STRIDES


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
            hidden = round(channels * t_row)
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
        )
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
        )
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


__all__ = ["Row", "V2Cost", "mobilenet_v2_cost", "mobilenet_v2_rows"]
