"""One look for every figure of the course: sizes, colours and a few shared plots."""

from __future__ import annotations

import matplotlib

# Colours per layer kind, used by every cost breakdown so a learner learns them once.
KIND_COLOURS = {
    "conv": "#4C72B0",
    "pointwise": "#DD8452",
    "grouped pointwise": "#C44E52",
    "grouped": "#C44E52",
    "depthwise": "#55A868",
    "linear": "#8172B3",
    "other": "#937860",
}
FAMILY_COLOURS = {
    "squeezenet": "#8C8C8C",
    "mobilenet_v1": "#4C72B0",
    "shufflenet_v1": "#DD8452",
    "mobilenet_v2": "#55A868",
    "effnet": "#C44E52",
    "fd_mobilenet": "#8172B3",
}


def style() -> None:
    """Course-wide matplotlib defaults (fixed DPI so stored notebook outputs do not churn)."""
    matplotlib.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 10,
            "axes.titlesize": 11,
            "legend.frameon": False,
        }
    )


def figure(width: float = 8.0, height: float = 4.0, ncols: int = 1, nrows: int = 1, **kw):
    """A figure of fixed size (nbval compares the ``<Figure size ...>`` text, so sizes never vary)."""
    import matplotlib.pyplot as plt

    style()
    return plt.subplots(nrows, ncols, figsize=(width, height), **kw)


def kind_colour(kind: str) -> str:
    for key in (kind, kind.split(" ")[0]):
        if key in KIND_COLOURS:
            return KIND_COLOURS[key]
    return KIND_COLOURS["other"]
