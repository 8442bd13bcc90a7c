"""Deep dives: which cells are optional, the main path's length, and how the website folds them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jupytext
import nbformat
import pytest

from smallnets_edu import lesson_sections, pairing

BOOK_BUILD = Path(__file__).resolve().parent.parent / "book" / "build.py"


def _cells(script: str) -> list:
    return jupytext.reads(script, "py:percent").cells


LESSON = """# %% [markdown]
# # Title
#
# The idea.

# %%
main = 1

# %% [markdown] {"jp-MarkdownHeadingCollapsed": true, "tags": ["optional"]}
# ## Deep dive (optional): rounding

# %%
deep = 2

# %% [markdown]
# Prose of the deep dive.

# %% [markdown]
# ### A subsection of the deep dive

# %%
deeper = 3

# %% [markdown]
# ## Back on the main path

# %%
main_again = 4
"""


def test_a_deep_dive_runs_to_the_next_heading_of_its_level():
    cells = _cells(LESSON)
    assert lesson_sections.optional_cells(cells) == {2, 3, 4, 5, 6}
    assert lesson_sections.main_path_lines(cells) == sum(
        len(cells[i].source.splitlines()) for i in (0, 1, 7, 8)
    )
    assert lesson_sections.problems(cells) == []
    assert lesson_sections.problems(cells, limit=3)[0].startswith("the main path has")


def test_a_deep_dive_must_be_a_collapsed_heading():
    expanded = LESSON.replace('"jp-MarkdownHeadingCollapsed": true, ', "")
    assert any("jp-MarkdownHeadingCollapsed" in p for p in lesson_sections.problems(_cells(expanded)))
    stray = LESSON.replace("# %%\nmain = 1", '# %% tags=["optional"]\nmain = 1')
    assert any("is not a heading" in p for p in lesson_sections.problems(_cells(stray)))


def test_the_website_folds_the_deep_dive_and_nothing_else():
    spec = importlib.util.spec_from_file_location("book_build", BOOK_BUILD)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    nb = nbformat.v4.new_notebook(cells=_cells(LESSON))
    assert build.fold_deep_dives(nb) == 3  # two code cells, one markdown cell (the headings stay)
    folded = [i for i, c in enumerate(nb.cells) if "hide-cell" in c.metadata.get("tags", [])]
    assert folded == [3, 6]
    assert nb.cells[4].source.startswith(f'<details class="{build.DEEP_DIVE_CLASS}">')
    assert nb.cells[2].source.startswith("## Deep dive") and nb.cells[7].source.startswith("## Back")


@pytest.mark.parametrize("lesson", pairing.lessons(), ids=lambda p: p.stem)
def test_every_lesson_keeps_its_main_path_short(lesson):
    assert lesson_sections.problems(jupytext.read(lesson).cells) == []
