"""Sphinx configuration of the course website (myst-nb + sphinx-book-theme), built offline.

``python book/build.py`` (``make book``) assembles the sources (these pages and the notebooks of
``notebooks/``, with solution cells removed) and runs Sphinx with this folder as the configuration
folder. Notebooks are not executed: the pages show the outputs and widget state stored in the
notebooks (``python -m smallnets_edu notebooks --execute`` writes them).

Nothing is loaded from a CDN: require.js, the widget renderer and MathJax are served from ``vendor/``
(fetched once by ``book/vendor.sh`` and committed), copied into the built site as ``_static/offline/``
(Sphinx resolves relative script paths under ``_static/``). In the sources they live outside
``_static/`` on purpose: nothing adds them to pages that do not need them (Jupyter Book would add
every script of ``_static/`` to every page).
"""

from __future__ import annotations

import shutil
from pathlib import Path

CONF_DIR = Path(__file__).resolve().parent
VENDOR = "vendor"  # the vendored files in this folder
SITE_VENDOR = "offline"  # ... and in the built site, under _static/ (beside the theme's own vendor/)

project = "smallnets-edu"
html_title = "Small convolutional networks"
author = "smallnets-edu authors"
copyright = "smallnets-edu authors, MIT license"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type"]

# Notebooks: stored outputs only, never executed here.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Widgets: rendered in the page from the saved widget state, with local scripts (no CDN). Relative
# paths are under the site's _static/, where _copy_vendor puts the files.
# widgets-offline.js (ours) tells require.js where the renderer's fonts are and lets the renderer
# typeset labels with MathJax 3.
WIDGETS_OFFLINE = "widgets-offline.js"
nb_ipywidgets_js = {
    f"{SITE_VENDOR}/requirejs/require.js": {},
    f"{SITE_VENDOR}/{WIDGETS_OFFLINE}": {},
    f"{SITE_VENDOR}/html-manager/embed-amd.js": {},
}
# MathJax 3 (tex-chtml component); it loads its fonts from beside itself.
mathjax_path = f"{SITE_VENDOR}/mathjax/tex-chtml.js"

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
    "navbar_persistent": [],  # the search field is in the sidebar already (pydata 0.20 would add a header)
}
html_static_path = ["_static"]
html_css_files = ["smallnets.css"]
html_last_updated_fmt = None
html_copy_source = True
html_show_sourcelink = False


def _copy_vendor(app, exception) -> None:
    """Copy the vendored scripts and ours into the built site (as ``_static/offline/``)."""
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / SITE_VENDOR
        shutil.copytree(CONF_DIR / VENDOR, target, dirs_exist_ok=True)
        shutil.copy2(CONF_DIR / WIDGETS_OFFLINE, target / WIDGETS_OFFLINE)


def setup(app):
    app.connect("build-finished", _copy_vendor)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
