"""Every notebook run in a real JupyterLab in headless Chromium: no cell errors, no widget fails to render.

Skipped (with the reason printed) where Chromium is not installed; `.ci/run` installs it so CI always
runs these. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from smallnets_edu import course

from .labserver import (
    CELLS_STATE,
    CHROMIUM,
    CHROMIUM_FLAGS,
    RUN_ALL,
    WAIT_FOR_KERNEL,
    chromium_available,
    jupyterlab,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not chromium_available(),
        reason="browser tests skipped: Chromium is not installed (apt-get install chromium)",
    ),
]
playwright = pytest.importorskip(
    "playwright.sync_api", reason="browser tests skipped: playwright is not installed"
)

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
NOTEBOOKS = sorted(course.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab") / "course"
    shutil.copytree(course.NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env = {"SMALLNETS_BUDGET": "smoke", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    with jupyterlab(root, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def open_notebook(lab, browser):
    base, token = lab
    pages = []

    def _open(name: str):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        pages.append(page)
        page.goto(f"{base}/lab/tree/{name}?token={token}")
        page.locator(".jp-NotebookPanel").first.wait_for(state="visible", timeout=60_000)
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=60_000
        )
        page.wait_for_function(WAIT_FOR_KERNEL, timeout=60_000, polling=500)
        return page

    yield _open
    for page in pages:
        page.close()


def run_all(page, timeout_s: float = 300) -> None:
    page.evaluate(RUN_ALL)
    deadline = time.monotonic() + timeout_s
    while True:
        state = page.evaluate(CELLS_STATE)
        if state["executed"] == state["total"] and not state["running"] and state["kernelIdle"]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"notebook did not finish running in {timeout_s} s: {state}")
        time.sleep(0.5)


def assert_clean(page, name: str) -> None:
    panel = page.locator(".jp-NotebookPanel").first
    text = panel.inner_text()
    assert "Traceback" not in text, f"{name}: a cell raised an error"
    assert "Error displaying widget" not in text, f"{name}: a widget failed to render"
    assert (
        page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] >> text=Error"
        ).count()
        == 0
    )


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_cleanly_in_jupyterlab(open_notebook, notebook):
    page = open_notebook(notebook.name)
    run_all(page)
    assert_clean(page, notebook.name)
    widgets = page.locator(".jupyter-widgets")
    if os.environ.get("SMALLNETS_EXPECT_WIDGETS", "1") == "1" and widgets.count():
        # A widget view was rendered by the frontend (not printed as text).
        assert page.locator(".widget-slider, .widget-html, .widget-output").count() > 0
    screenshot(page, notebook.stem)
