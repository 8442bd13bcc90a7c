"""Published figures from the papers, gathered from each model family's ``PUBLISHED`` list.

Each entry is a dict with keys ``name``, ``width_mult``, ``resolution``, ``options`` (a dict of
``build`` options), ``params``, ``macs``, ``top1`` (percent; any of the three may be None),
``source`` (e.g. "MobileNet Table 6") and ``note`` (how the paper counted, or why ours differs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import cost, display, models

if TYPE_CHECKING:
    from IPython.display import HTML
    from torch import nn


def figures(name: str | None = None) -> list[dict]:
    """Every published figure, or those of one model name (from each family module's ``PUBLISHED``)."""
    out: list[dict] = []
    for family in dict.fromkeys(models.info(n).family for n in models.names()):
        out.extend(getattr(family, "PUBLISHED", []))
    return [f for f in out if name is None or f["name"] == name]


def cite(name: str) -> str:
    """``'Sandler et al. 2018, arXiv:1801.04381'``: a short citation from the registry's reference."""
    text = models.info(name).paper
    year = re.search(r"\((\d{4})\)", text)
    arxiv = re.search(r"arXiv:[0-9.]+", text)
    if year is None or arxiv is None:
        raise ValueError(f"the reference of {name} ({text!r}) names no year or arXiv id")
    return f"{text.split(',')[0]} et al. {year.group(1)}, {arxiv.group(0)}"


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


def against_ours(comparisons: Iterable[tuple[str, dict, nn.Module, int]]) -> HTML:
    """Published parameters and MACs beside ours, one row per ``(label, entry, model, resolution)``.

    Ours are counted as the papers count: parameters without BatchNorm (it folds into the
    convolutions at inference), MACs of one image at ``resolution``. ``diff`` is relative to the
    published figure; a figure the paper does not give is left blank.
    """
    rows = []
    for label, entry, model, resolution in comparisons:
        ours = {
            "params": cost.count_params(model, include_bn=False),
            "macs": cost.profile(model, resolution).macs,
        }
        row = [label, "" if entry.get("top1") is None else entry["top1"]]
        for key, digits in (("params", 2), ("macs", 0)):
            published = entry.get(key)
            row += [
                "" if published is None else f"{published / 1e6:,.{digits}f}M",
                f"{ours[key] / 1e6:,.{max(digits, 1)}f}M",
                "" if published is None else display.diff(ours[key], published),
            ]
        rows.append(row)
    header = ["network", "top-1 % (paper)", "params (paper)", "ours", "diff", "MACs (paper)", "ours", "diff"]
    return display.table(header, rows)
