"""Build the course website: ``python book/build.py`` (``make book``) writes ``book/_build/html``.

1. Assemble the sources in ``book/_build/src`` (or ``--src``): the pages of this folder, and the
   notebooks of ``notebooks/`` as ``lessons/NN_name.ipynb``. The notebooks themselves are never moved
   or changed. In the copies, cells tagged ``solution`` are removed (see ``smallnets_edu.student_copies``),
   and each explorer output (a widget view with a static PNG in the same display bundle) is split into
   the widget view and a static figure: myst-nb renders only the highest-priority type of a bundle (the
   widget view), so the split keeps a figure visible where the widget renderer cannot run.
2. Run Sphinx with ``book/`` as the configuration folder (``conf.py``): stored outputs only, nothing
   executed, the vendored scripts copied into the site as ``_static/offline/``.

Open ``book/_build/html/index.html`` in a browser; no network is needed.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
NOTEBOOKS = ROOT / "notebooks"
LESSONS_DIR = "lessons"  # where the notebooks go in the site
PAGES = ["index.md"]  # the pages of this folder that are part of the site
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
STATIC_FIGURE_CLASS = "smallnets-static-figure"
DEEP_DIVE_CLASS = "smallnets-deep-dive"

sys.path.insert(
    0, str(ROOT)
)  # smallnets_edu without an install (the build needs only its student_copies module)


def split_explorer_outputs(nb) -> int:
    """Give each explorer its static figure as an output of its own; returns how many were split.

    A display bundle holding a widget view and an ``image/png`` becomes two outputs: the widget view
    (drawn from the saved widget state) and the PNG, marked with the class the site's CSS hides once the
    widget has been drawn with its own figure.
    """
    split = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs, other_images = [], False
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "image/png" in data:
                view = copy.deepcopy(output)
                del view["data"]["image/png"]
                figure = copy.deepcopy(output)
                figure["data"] = {"image/png": data["image/png"], "text/plain": data.get("text/plain", "")}
                outputs += [view, figure]
                split += 1
            else:
                other_images |= any(key.startswith("image/") for key in data)
                outputs.append(output)
        if len(outputs) != len(cell.get("outputs", [])):
            cell.outputs = outputs
            if not other_images:  # the class applies to every image of the cell
                image = cell.metadata.setdefault("mystnb", {}).setdefault("image", {})
                image["classes"] = STATIC_FIGURE_CLASS
    return split


def fold_deep_dives(nb) -> int:
    """Fold every cell of a deep dive under its heading (``smallnets_edu.lesson_sections``); returns how
    many cells were folded. Code cells get myst-nb's ``hide-cell`` tag; markdown cells are wrapped in a
    ``<details>`` element of their own (a fold cannot span cells: each cell is its own block of HTML).
    """
    from smallnets_edu.lesson_sections import heading_level, optional_cells

    folded = 0
    for index in sorted(optional_cells(nb.cells)):
        cell = nb.cells[index]
        if cell.cell_type == "code":
            tags = cell.metadata.setdefault("tags", [])
            if "hide-cell" not in tags:
                tags.append("hide-cell")
        elif cell.cell_type == "markdown" and heading_level(cell) is None:
            summary = "<summary>read on</summary>"
            cell.source = f'<details class="{DEEP_DIVE_CLASS}">\n{summary}\n\n{cell.source}\n\n</details>'
        else:
            continue  # the heading stays visible, and in the page's table of contents
        folded += 1
    return folded


def prepare_notebook(source: Path, target: Path) -> None:
    import nbformat

    from smallnets_edu.student_copies import strip_solutions

    nb = nbformat.read(source, as_version=4)
    strip_solutions(nb)
    split_explorer_outputs(nb)
    fold_deep_dives(nb)
    nbformat.write(nb, target)


def assemble(src: Path, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write the site's sources into ``src`` (emptied first); returns the lesson notebooks written."""
    if src.exists():
        shutil.rmtree(src)
    (src / LESSONS_DIR).mkdir(parents=True)
    for page in PAGES:
        shutil.copy2(BOOK / page, src / page)
    written = []
    for notebook in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        target = src / LESSONS_DIR / notebook.name
        prepare_notebook(notebook, target)
        written.append(target)
    return written


def build(out: Path, src: Path | None = None, quiet: bool = True) -> list[Path]:
    """Assemble the sources and build the HTML site into ``out``; returns the lesson notebooks built."""
    src = src or out.parent / "src"
    lessons = assemble(src)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(BOOK), "-j", "1", str(src), str(out)]
    if quiet:
        command.append("-q")
    subprocess.run(command, check=True)
    return lessons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python book/build.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(BOOK / "_build" / "html"), help="where the site goes")
    parser.add_argument("--src", default=str(BOOK / "_build" / "src"), help="where the sources are assembled")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    try:
        lessons = build(Path(args.out), Path(args.src), quiet=not args.verbose)
    except subprocess.CalledProcessError as error:
        print(
            f"the website build failed (exit {error.returncode}); see Sphinx's messages above",
            file=sys.stderr,
        )
        return 1
    print(f"website: {len(lessons)} lessons in {Path(args.out) / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
