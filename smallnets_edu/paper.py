"""Published figures from the papers, gathered from each model family's ``PUBLISHED`` list.

Each entry is a dict with keys ``name``, ``width_mult``, ``resolution``, ``options`` (a dict of
``build`` options), ``params``, ``macs``, ``top1`` (percent; any of the three may be None),
``source`` (e.g. "MobileNet Table 6") and ``note`` (how the paper counted, or why ours differs).
"""

from __future__ import annotations

from . import models


def figures(name: str | None = None) -> list[dict]:
    """Every published figure, or those of one model name."""
    out: list[dict] = []
    for family in (
        models.squeezenet,
        models.mobilenet_v1,
        models.shufflenet_v1,
        models.mobilenet_v2,
        models.effnet,
        models.fd_mobilenet,
    ):
        out.extend(getattr(family, "PUBLISHED", []))
    return [f for f in out if name is None or f["name"] == name]


def lookup(name: str, width_mult: float = 1.0, resolution: int = 224, **options) -> dict | None:
    """The published entry for exactly this configuration, if the paper reports one."""
    for entry in figures(name):
        if (
            abs(entry["width_mult"] - width_mult) < 1e-9
            and entry["resolution"] == resolution
            and all(options.get(k, v) == v for k, v in entry.get("options", {}).items())
            and all(entry.get("options", {}).get(k) == v for k, v in options.items())
        ):
            return entry
    return None
