"""What the course's diagrams share: the ink colour, and figures handed back closed in pyplot."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INK = "#333333"


def _detached(fig: Figure) -> Figure:
    """Close ``fig`` in pyplot and return it.

    A cell that ends with ``diagrams.connectivity(...)`` then shows the figure exactly once (as the
    cell's result) instead of twice (result, then pyplot's inline flush), and scripts or loops that
    draw many diagrams leak no open figures. So end such a cell with the call itself, not with ``;``.
    """
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


__all__ = ["INK"]
