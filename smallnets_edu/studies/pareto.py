"""Pareto fronts: the points no other point beats, and their staircase on a plot."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def pareto_front(costs: Sequence[float], values: Sequence[float]) -> list[int]:
    """Indices of the points no other point beats, sorted by cost (lower cost and higher value win).

    Point ``j`` beats point ``i`` when it costs no more, is worth no less, and is strictly better in at
    least one of the two. Two identical points do not beat each other, so both stay. Points with a NaN
    are left out.
    """
    if len(costs) != len(values):
        raise ValueError(f"costs and values must have the same length, got {len(costs)} and {len(values)}")
    points = [(float(c), float(v), i) for i, (c, v) in enumerate(zip(costs, values, strict=True))]
    points = [p for p in points if not (math.isnan(p[0]) or math.isnan(p[1]))]
    front = [
        (c, v, i)
        for c, v, i in points
        if not any(c2 <= c and v2 >= v and (c2 < c or v2 > v) for c2, v2, _ in points)
    ]
    return [i for _, _, i in sorted(front)]


def draw_front(ax: Axes, xs: Sequence[float], ys: Sequence[float], **style: Any) -> list[int]:
    """Draw the Pareto front of the points as a staircase on ``ax``; returns its indices."""
    front = pareto_front(xs, ys)
    if front:
        fx = [xs[i] for i in front]
        fy = [ys[i] for i in front]
        kw = {"color": "grey", "lw": 1.2, "ls": "--", "zorder": 1, "label": "Pareto front"} | style
        ax.step(fx, fy, where="post", **kw)
    return front
