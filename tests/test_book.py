"""The course website: built offline from the stored notebook outputs, every link local, nothing from a CDN.

The build test runs Sphinx once for the module (execution is off, so it takes seconds, not minutes)
into a temporary folder; the repository's ``book/_build`` is never touched.
"""

from __future__ import annotations

import importlib.util
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
VENDORED = [
    "_static/offline/requirejs/require.js",
    "_static/offline/html-manager/embed-amd.js",
    "_static/offline/widgets-offline.js",
    "_static/offline/mathjax/tex-chtml.js",
    "_static/offline/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
]


def _load_build_module():
    spec = importlib.util.spec_from_file_location("book_build", BOOK / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_module = _load_build_module()


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def _tags(page: Path) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tags


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for package in ("sphinx", "myst_nb", "sphinx_book_theme"):
        pytest.importorskip(
            package, reason=f"{package} is not installed: `make install` installs the website tools"
        )
    tmp = tmp_path_factory.mktemp("book")
    lessons = build_module.build(tmp / "html", tmp / "src")
    return tmp / "html", lessons


def _pages(html: Path) -> list[Path]:
    """The site's pages (not the theme's template fragments that Sphinx copies into _static/)."""
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)


@pytest.mark.slow
def test_every_notebook_has_a_page_in_the_lesson_map(site):
    html, lessons = site
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks, "no notebooks in notebooks/"
    assert sorted(p.stem for p in lessons) == notebooks
    index_links = {
        attrs.get("href", "").split("#")[0] for tag, attrs in _tags(html / "index.html") if tag == "a"
    }
    for stem in notebooks:
        page = html / "lessons" / f"{stem}.html"
        assert page.is_file(), f"no page for {stem}"
        assert f"lessons/{stem}.html" in index_links, f"the home page does not link to {stem}"
        text = page.read_text(encoding="utf-8")
        assert "<h1" in text and "cell_output" in text, f"{stem}: the page shows no stored outputs"


def test_the_showdown_page_shows_the_reference_results(site):
    """Lesson 08's page carries its stored findings: the Pareto figure and the per-operator table."""
    html, _ = site
    text = (html / "lessons" / "08_showdown.html").read_text(encoding="utf-8")
    front = text.find("Pareto front, accuracy vs MACs:")
    assert front >= 0, "the Pareto fronts of the reference run are not on the page: run `make reference`"
    figure = text.find("<img", front)
    assert 0 <= figure < text.find("cell_input", front), "the Pareto figure does not follow its fronts"
    table = text.find("kind (1.0 MobileNet-224)")
    assert table >= 0, "the per-operator table of the reference run is not on the page"
    rows = text[table : table + 2000]
    assert all(kind in rows for kind in ("pointwise 1x1", "depthwise", "GMAC/s"))
    assert "[reference run: laptop budget" in text


@pytest.mark.slow
def test_every_local_link_resolves_to_a_file_of_the_site(site):
    html, _ = site
    broken = []
    for page in _pages(html):
        for tag, attrs in _tags(page):
            for name in ("href", "src"):
                url = attrs.get(name)
                if not url or (
                    tag == "a" and name == "href" and urlsplit(url).scheme in {"http", "https", "mailto"}
                ):
                    continue
                parts = urlsplit(url)
                if parts.scheme in {"data", "javascript"} or (not parts.scheme and not parts.path):  # "#id"
                    continue
                assert not parts.scheme and not parts.netloc, (
                    f"{page.name}: <{tag} {name}={url}> is not local"
                )
                target = (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_file():
                    broken.append(f"{page.relative_to(html)}: <{tag} {name}={url}>")
    assert not broken, "links to files that are not in the site:\n" + "\n".join(broken[:20])


@pytest.mark.slow
def test_no_page_loads_anything_from_the_network(site):
    html, _ = site
    remote = re.compile(r"^(https?:)?//", re.IGNORECASE)
    loaded = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "video": "src"}
    offenders = [
        f"{page.relative_to(html)}: <{tag} {loaded[tag]}={attrs[loaded[tag]]}>"
        for page in _pages(html)
        for tag, attrs in _tags(page)
        if tag in loaded and remote.match(attrs.get(loaded[tag], ""))
    ]
    assert not offenders, "pages load from the network (a CDN):\n" + "\n".join(offenders[:20])
    for css in html.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"""(url\(|@import)\s*['"]?(https?:)?//""", text), (
            f"{css} loads from the network"
        )


@pytest.mark.slow
def test_widget_renderer_and_mathjax_are_served_from_the_site(site):
    html, lessons = site
    for path in VENDORED:
        assert (html / path).is_file(), f"{path} is missing from the site"
    widget_pages = math_pages = 0
    for stem in (p.stem for p in lessons):
        page = html / "lessons" / f"{stem}.html"
        text = page.read_text(encoding="utf-8")
        scripts = [attrs["src"] for tag, attrs in _tags(page) if tag == "script" and "src" in attrs]
        if WIDGET_VIEW in text:
            widget_pages += 1
            assert f'type="{WIDGET_STATE}"' in text, f"{stem}: widget views without saved widget state"
            for needed in ("offline/requirejs/require.js", "offline/html-manager/embed-amd.js"):
                assert any(src.endswith(needed) for src in scripts), f"{stem}: {needed} is not loaded"
        if "mjx" in text or "\\(" in text or "\\[" in text:
            math_pages += 1
            assert any(src.endswith("offline/mathjax/tex-chtml.js") for src in scripts), (
                f"{stem}: no local MathJax"
            )
    assert widget_pages and math_pages, "no lesson page has widgets or math: the check would prove nothing"


@pytest.mark.slow
def test_each_explorer_has_a_static_figure_beside_its_widget(site):
    html, lessons = site
    explorers = 0
    for stem in (p.stem for p in lessons):
        source = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        expected = sum(
            WIDGET_VIEW in out.get("data", {}) and "image/png" in out.get("data", {})
            for cell in source.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
        )
        text = (html / "lessons" / f"{stem}.html").read_text(encoding="utf-8")
        figures = re.findall(
            rf'<script type="{re.escape(WIDGET_VIEW)}">[^<]*</script>\s*<img[^>]*class="[^"]*'
            rf"{build_module.STATIC_FIGURE_CLASS}",
            text,
        )
        assert len(figures) == expected, f"{stem}: {expected} explorers, {len(figures)} with a static figure"
        explorers += expected
    assert explorers, "no explorer in any notebook: the check would prove nothing"


def _explorer_notebook():
    nb = nbformat.v4.new_notebook()
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    explorer = nbformat.v4.new_output(
        "display_data", data={WIDGET_VIEW: view, "image/png": "iVBORw0KGgo=", "text/plain": "Explorer(...)"}
    )
    plain = nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    )
    nb.cells = [
        nbformat.v4.new_code_cell("explorer", outputs=[explorer]),
        nbformat.v4.new_code_cell("explorer; plt.show()", outputs=[explorer, plain]),
        nbformat.v4.new_code_cell("plt.show()", outputs=[plain]),
    ]
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {}, "version_major": 2, "version_minor": 0}}
    return nb


def test_explorer_outputs_are_split_into_widget_and_marked_static_figure():
    nb = _explorer_notebook()
    assert build_module.split_explorer_outputs(nb) == 2
    first, second, third = nb.cells
    assert [sorted(o["data"]) for o in first.outputs] == [
        [WIDGET_VIEW, "text/plain"],
        ["image/png", "text/plain"],
    ]
    assert first.metadata["mystnb"]["image"]["classes"] == build_module.STATIC_FIGURE_CLASS
    # a cell with another figure keeps it unmarked (the class would hide it too), and shows both
    assert len(second.outputs) == 3 and "mystnb" not in second.metadata
    assert third.outputs == _explorer_notebook().cells[2].outputs and "mystnb" not in third.metadata
    nbformat.validate(nb)
    json.dumps(nb)  # still serialisable as a notebook
