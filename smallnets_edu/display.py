"""Small display helpers the lessons share: an HTML table and a signed relative difference."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from IPython.display import HTML


def table(header: Sequence[object], rows: Iterable[Sequence[object]]) -> HTML:
    """A plain HTML table (the notebook's own style), one ``<td>`` per value as ``str`` gives it."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return HTML(f"<table><tr>{head}</tr>{body}</table>")


def diff(ours: float, published: float) -> str:
    """How far our number is from the published one, relative to it: ``'+1.2%'``."""
    return f"{(ours - published) / published:+.1%}"
