"""Why a ReLU in a narrow layer destroys information: MobileNetV2's spiral (Figure 1).

Sandler, Howard, Zhu, Zhmoginov and Chen (2018, arXiv 1801.04381), Figure 1: a 2-D spiral is embedded
into ``n`` dimensions by a random matrix ``T`` (``n x 2``), passed through a ReLU, and projected back
with the pseudo-inverse of ``T``. For ``n = 2, 3`` whole arcs of the spiral collapse onto lines and
points; for ``n = 15`` or ``30`` the shape survives, bent but whole.

Why: ``ReLU(T x)`` keeps the coordinates ``i`` with ``t_i . x > 0`` and zeroes the others. On the
keep-set the map is linear, ``x -> T_A x``; it can be undone exactly when the active rows ``T_A`` still
span the plane (rank 2). With two rows, a quarter of the plane keeps both, half keeps one (that part is
squashed onto a line) and a quarter keeps none (squashed to the origin). With thirty random rows almost
every point keeps a dozen or more, so nothing is lost: :func:`recoverable` counts exactly that.

Everything is seeded: the same ``seed`` gives the same spiral, the same ``T`` and the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import plots

FIGURE1_DIMS = (2, 3, 5, 15, 30)  # the paper's Figure 1
FIGURE_SIZE = (12.0, 2.8)
SPIRAL_CMAP = "viridis"


def _check_dim(dim: int) -> None:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 2:
        raise ValueError(f"the embedding dimension n must be an integer of at least 2, got {dim!r}")


def spiral(points: int = 600, turns: float = 2.0) -> np.ndarray:
    """``points`` points along an Archimedean spiral around the origin, shape ``(points, 2)``.

    The radius grows linearly from 0.1 to 1 over ``turns`` turns. Row ``k`` is the ``k``-th point along
    the curve, so colouring by row index shows where each part of the spiral ends up.
    """
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ValueError(f"points must be an integer of at least 2, got {points!r}")
    if not turns > 0:
        raise ValueError(f"turns must be positive, got {turns!r}")
    s = np.linspace(0.0, 1.0, points)
    angle = 2 * np.pi * turns * s
    radius = 0.1 + 0.9 * s
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def embedding(dim: int, seed: int = 0) -> np.ndarray:
    """The random matrix ``T`` (``dim x 2``, standard normal entries) for ``dim`` dimensions.

    Seeded by ``(seed, dim)``, so each ``n`` of a figure has its own fixed ``T``.
    """
    _check_dim(dim)
    return np.random.default_rng([seed, dim]).standard_normal((dim, 2))


@dataclass(frozen=True)
class RoundTrip:
    """One spiral through ``x -> pinv(T) ReLU(T x)``."""

    dim: int
    points: np.ndarray  # (N, 2) the input
    embedded: np.ndarray  # (N, dim) ReLU(T x)
    recovered: np.ndarray  # (N, 2) pinv(T) ReLU(T x)
    active: np.ndarray  # (N,) how many of the dim coordinates survive the ReLU
    invertible: np.ndarray  # (N,) bool: the surviving rows of T span the plane

    @property
    def recoverable_fraction(self) -> float:
        """Share of points that the ReLU keeps recoverable (exactly, given T)."""
        return float(self.invertible.mean())

    @property
    def error(self) -> float:
        """Mean distance between a point and its naive pseudo-inverse reconstruction."""
        return float(np.linalg.norm(self.recovered - self.points, axis=1).mean())


def round_trip(points: np.ndarray, dim: int, seed: int = 0) -> RoundTrip:
    """Embed ``points`` into ``dim`` dimensions with ``T``, apply a ReLU, project back with ``pinv(T)``."""
    _check_dim(dim)
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {points.shape}")
    t = embedding(dim, seed)
    pre = points @ t.T
    embedded = np.maximum(pre, 0.0)
    recovered = embedded @ np.linalg.pinv(t).T
    keep = pre > 0
    # The surviving rows T_A span the plane iff their 2x2 Gram matrix T_A^T T_A is non-singular.
    gram = keep.astype(float) @ np.einsum("ij,ik->ijk", t, t).reshape(dim, 4)
    det = gram[:, 0] * gram[:, 3] - gram[:, 1] * gram[:, 2]
    invertible = det > 1e-9 * (gram[:, 0] + gram[:, 3]) ** 2
    return RoundTrip(dim, points, embedded, recovered, keep.sum(axis=1), invertible)


def recoverable(dim: int, seed: int = 0, points: int = 600) -> float:
    """Share of the spiral's points whose image under ``ReLU(T x)`` still determines the point."""
    return round_trip(spiral(points), dim, seed).recoverable_fraction


def draw(ax, trip: RoundTrip, title: str | None = None) -> None:
    """One panel: the recovered spiral coloured by position along the curve."""
    colour = np.linspace(0.0, 1.0, len(trip.points))
    ax.scatter(trip.recovered[:, 0], trip.recovered[:, 1], c=colour, cmap=SPIRAL_CMAP, s=4, linewidths=0)
    ax.set_title(title or f"n = {trip.dim}: {trip.recoverable_fraction:.0%} recoverable", fontsize=10)
    _bare(ax)


def _bare(ax) -> None:
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def figure1(dims: tuple[int, ...] = FIGURE1_DIMS, seed: int = 0, points: int = 600):
    """The paper's Figure 1: the input spiral, then its round trip through each ``n`` of ``dims``."""
    for dim in dims:
        _check_dim(dim)
    xy = spiral(points)
    fig, axes = plots.figure(*FIGURE_SIZE, ncols=len(dims) + 1)
    colour = np.linspace(0.0, 1.0, len(xy))
    axes[0].scatter(xy[:, 0], xy[:, 1], c=colour, cmap=SPIRAL_CMAP, s=4, linewidths=0)
    axes[0].set_title("input: a 2-D spiral", fontsize=10)
    _bare(axes[0])
    for ax, dim in zip(axes[1:], dims, strict=True):
        draw(ax, round_trip(xy, dim, seed))
    fig.tight_layout()
    return fig


def curve(dims: range | tuple[int, ...] = tuple(range(2, 31)), seeds: int = 20, points: int = 600):
    """Mean recoverable share for each ``n`` in ``dims``, averaged over ``seeds`` random matrices."""
    xy = spiral(points)
    return np.array(
        [np.mean([round_trip(xy, d, s).recoverable_fraction for s in range(seeds)]) for d in dims]
    )


__all__ = [
    "FIGURE1_DIMS",
    "RoundTrip",
    "curve",
    "draw",
    "embedding",
    "figure1",
    "recoverable",
    "round_trip",
    "spiral",
]
