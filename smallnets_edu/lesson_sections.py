"""A lesson's main path and its optional deep dives.

A lesson marks a deep dive (rounding rules, third-party conventions, full table reconciliations) with a
markdown heading cell tagged ``optional``; the section runs until the next heading of the same or a
higher level. In a lesson script::

    # %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
    # ## Deep dive (optional): how the paper rounds channels

``jp-MarkdownHeadingCollapsed`` makes JupyterLab open the section collapsed under its heading; the
website folds it (``book/build.py``). The cells of a deep dive still run, in order, under nbval and in
the reference run: a later cell may use what a deep dive computed. Everything outside the deep dives is
the main path, which a learner reads in 30-40 minutes (:func:`main_path_lines` keeps it short).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

OPTIONAL_TAG = "optional"
COLLAPSED_KEY = "jp-MarkdownHeadingCollapsed"
MAIN_PATH_LINES = 450  # a lesson's main path, in lines of cell source, at the most

_HEADING = re.compile(r"^(#{1,6})\s")


def heading_level(cell: Any) -> int | None:
    """1 to 6 for a markdown cell that starts with a heading, else None."""
    if cell.get("cell_type") != "markdown":
        return None
    first = cell.get("source", "").lstrip("\n").split("\n", 1)[0]
    match = _HEADING.match(first)
    return len(match.group(1)) if match else None


def is_optional_heading(cell: Any) -> bool:
    return OPTIONAL_TAG in cell.get("metadata", {}).get("tags", []) and heading_level(cell) is not None


def optional_cells(cells: Sequence[Any]) -> set[int]:
    """Indices of the cells inside a deep dive, its heading included."""
    inside: set[int] = set()
    level = None  # the level of the deep dive we are in, if any
    for index, cell in enumerate(cells):
        this = heading_level(cell)
        if level is not None and this is not None and this <= level:
            level = None  # a heading of the same or a higher level ends the deep dive
        if level is None and is_optional_heading(cell):
            level = this
        if level is not None:
            inside.add(index)
    return inside


def main_path_lines(cells: Sequence[Any]) -> int:
    """Lines of source in the cells outside every deep dive."""
    skip = optional_cells(cells)
    return sum(len(c.get("source", "").splitlines()) for i, c in enumerate(cells) if i not in skip)


def problems(cells: Sequence[Any], limit: int = MAIN_PATH_LINES) -> list[str]:
    """What breaks the convention: a main path over ``limit`` lines, or a deep dive that opens expanded."""
    out = []
    lines = main_path_lines(cells)
    if lines > limit:
        out.append(
            f"the main path has {lines} lines of source (at most {limit}): move deep dives into "
            "optional sections"
        )
    for index, cell in enumerate(cells):
        if OPTIONAL_TAG in cell.get("metadata", {}).get("tags", []) and heading_level(cell) is None:
            out.append(
                f"cell {index} is tagged {OPTIONAL_TAG!r} but is not a heading: tag the section's heading"
            )
        elif is_optional_heading(cell) and cell["metadata"].get(COLLAPSED_KEY) is not True:
            out.append(f"cell {index}: an optional heading needs {COLLAPSED_KEY}: true in its metadata")
    return out
