"""A block diagram of SqueezeNet's Fire module (Iandola et al. 2016, arXiv:1602.07360), read from the module.

:func:`draw_fire` draws each tensor of a Fire module as a column as tall as its channel count, with
the filters and parameters of every layer under it; :mod:`smallnets_edu.compression` re-exports it for
lesson 02.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import nn

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIRE_DIAGRAM_SIZE = (9.0, 3.6)


def draw_fire(fire: nn.Module, title: str | None = None, map_size: int | None = None) -> Figure:
    """A block diagram of a SqueezeNet Fire module, read from the module itself.

    Each column is a tensor, as tall as its channel count: the input, the squeeze layer's output, the
    two expand branches and their concatenation. Under each layer: its filters and its parameters
    (weights + biases), counted from the module's own tensors. A bypass, when the module has one, is
    drawn as the dashed arc over the top (added to the output). Returns a matplotlib Figure of size
    :data:`FIRE_DIAGRAM_SIZE`.
    """
    from matplotlib.patches import FancyArrowPatch, Rectangle

    from .. import plots

    def conv_of(block: nn.Module) -> nn.Conv2d:
        return next(m for m in block.modules() if isinstance(m, nn.Conv2d))

    try:
        squeeze, e1, e3 = conv_of(fire.squeeze), conv_of(fire.expand1x1), conv_of(fire.expand3x3)
    except AttributeError as error:
        raise ValueError("draw_fire needs a Fire module (with squeeze, expand1x1 and expand3x3)") from error
    m, s, n1, n3 = squeeze.in_channels, squeeze.out_channels, e1.out_channels, e3.out_channels
    params = {
        key: sum(p.numel() for p in conv.parameters()) for key, conv in (("s", squeeze), ("1", e1), ("3", e3))
    }
    bypass = getattr(fire, "bypass", "none")
    shortcut = getattr(fire, "shortcut", None)

    fig, ax = plots.figure(*FIRE_DIAGRAM_SIZE)
    ax.set_axis_off()
    tallest = max(m, n1 + n3)
    scale = 2.6 / tallest  # drawing units per channel
    colours = {"pointwise": plots.kind_colour("pointwise"), "conv": plots.kind_colour("conv")}

    def column(x: float, y0: float, channels: int, colour: str, label: str) -> tuple[float, float]:
        height = max(channels * scale, 0.04)
        ax.add_patch(Rectangle((x, y0), 0.32, height, facecolor=colour, edgecolor="#333333", lw=0.8))
        ax.text(x + 0.16, y0 + height + 0.06, label, ha="center", va="bottom", fontsize=9)
        return x + 0.32, y0 + height / 2

    def arrow(start: tuple[float, float], end: tuple[float, float], colour: str = "#555555") -> None:
        ax.add_patch(
            FancyArrowPatch(
                start, end, arrowstyle="-|>", mutation_scale=10, color=colour, lw=1.2, shrinkA=2, shrinkB=2
            )
        )

    def caption(x: float, y: float, lines: list[str], colour: str) -> None:
        ax.text(x, y, "\n".join(lines), ha="center", va="top", fontsize=8.5, color=colour)

    mid = 1.5
    where = f" ({map_size}×{map_size})" if map_size else ""
    right_in, y_in = column(0.0, mid - m * scale / 2, m, "#CFCFCF", f"input: {m}{where}")
    right_s, y_s = column(2.1, mid - s * scale / 2, s, "#F4D6BE", f"{s}")
    arrow((right_in, y_in), (2.1, y_s), colours["pointwise"])
    caption(
        1.2,
        mid - 0.35 - m * scale / 4,
        ["squeeze 1×1", f"{s} filters", f"{params['s']:,} params"],
        colours["pointwise"],
    )
    up = mid + 0.15 + n3 * scale / 2
    down = mid - 0.15 - n1 * scale / 2
    right_1, y_1 = column(4.2, up - n1 * scale / 2 + n1 * scale / 2 - n1 * scale / 2, n1, "#F4D6BE", f"{n1}")
    right_3, y_3 = column(4.2, down - n3 * scale / 2, n3, "#C9D6EC", f"{n3}")
    arrow((right_s, y_s), (4.2, y_1), colours["pointwise"])
    arrow((right_s, y_s), (4.2, y_3), colours["conv"])
    ax.text(
        3.2,
        y_1 + 0.08,
        f"expand 1×1 · {n1} · {params['1']:,} params",
        ha="center",
        va="bottom",
        fontsize=8.5,
        color=colours["pointwise"],
        rotation=0,
    )
    ax.text(
        3.2,
        y_3 - 0.08,
        f"expand 3×3 · {n3} · {params['3']:,} params",
        ha="center",
        va="top",
        fontsize=8.5,
        color=colours["conv"],
    )
    top = y_1 + n1 * scale / 2
    bottom = y_3 - n3 * scale / 2
    x_cat = 6.3
    cat_bottom = mid - (n1 + n3) * scale / 2
    # channels 0 .. e1-1 come from the 1x1 branch (drawn on top), the rest from the 3x3 branch
    ax.add_patch(
        Rectangle(
            (x_cat, cat_bottom + n3 * scale),
            0.32,
            n1 * scale,
            facecolor="#F4D6BE",
            edgecolor="#333333",
            lw=0.8,
        )
    )
    ax.add_patch(
        Rectangle((x_cat, cat_bottom), 0.32, n3 * scale, facecolor="#C9D6EC", edgecolor="#333333", lw=0.8)
    )
    ax.text(
        x_cat + 0.16,
        mid + (n1 + n3) * scale / 2 + 0.06,
        f"concat: {n1 + n3}",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    arrow((right_1, y_1), (x_cat, cat_bottom + n3 * scale + n1 * scale / 2), "#555555")
    arrow((right_3, y_3), (x_cat, cat_bottom + n3 * scale / 2), "#555555")
    ax.text(
        -0.4,
        min(bottom, mid - m * scale / 2) - 0.75,
        "Every convolution has a bias and a ReLU; the 3×3 one is padded, so both branches keep the map size.",
        ha="left",
        va="bottom",
        fontsize=8,
        color="#555555",
    )
    total = sum(params.values())
    extra = ""
    if bypass != "none":
        shortcut_params = sum(p.numel() for p in shortcut.parameters()) if shortcut is not None else 0
        total += shortcut_params
        kind = "identity" if shortcut is None else f"1×1 conv, {shortcut_params:,} params"
        extra = f" · bypass: {kind}"
        ax.add_patch(
            FancyArrowPatch(
                (0.16, mid + m * scale / 2 + 0.35),
                (x_cat + 0.16, mid + (n1 + n3) * scale / 2 + 0.35),
                connectionstyle="arc3,rad=-0.18",
                arrowstyle="-|>",
                mutation_scale=10,
                color="#8172B3",
                lw=1.2,
                linestyle="--",
            )
        )
    ax.set_xlim(-0.5, 7.4)
    headroom = 1.6 if bypass != "none" else 0.9
    ax.set_ylim(min(bottom, mid - m * scale / 2) - 0.9, max(top, mid + m * scale / 2) + headroom)
    heading = title or "Fire module"
    fig.suptitle(
        f"{heading}: {m} → {s} → {n1} + {n3} channels, {total:,} parameters{extra}",
        x=0.02,
        ha="left",
        fontsize=11,
    )
    fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.02)
    import matplotlib.pyplot as plt

    plt.close(fig)  # a cell ending with draw_fire(...) then shows it once, as its result
    return fig


__all__ = ["FIRE_DIAGRAM_SIZE", "draw_fire"]
