"""What the studies share: a budget from its name, and a course-styled figure made without pyplot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import budget as budget_mod
from .. import plots

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _budget(budget: str | budget_mod.Budget | None) -> budget_mod.Budget:
    return budget if isinstance(budget, budget_mod.Budget) else budget_mod.get(budget)


def _figure(width: float, height: float, ncols: int = 1, nrows: int = 1) -> tuple[Figure, Any]:
    """A course-styled figure of fixed size made without pyplot, so a cell that returns it shows it once."""
    from matplotlib.figure import Figure

    plots.style()
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols)
