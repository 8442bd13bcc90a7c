"""Every notebook run in a real JupyterLab in headless Chromium: no cell errors, no widget fails to render.

Skipped (with the reason printed) where Chromium is not installed; `.ci/run` installs it so CI always
runs these. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from smallnets_edu import pairing

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
NOTEBOOKS = sorted(pairing.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab") / "course"
    shutil.copytree(pairing.NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
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
        # ?reset: start from an empty workspace, not with the notebooks of earlier tests open too.
        page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
        page.locator(PANEL).wait_for(state="visible", timeout=60_000)
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
    panel = page.locator(PANEL).first
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
    # Every explorer was rendered by the frontend as a live widget, not printed as text.
    sources = notebook.read_text()
    if "Explorer(" in sources or "explorer(" in sources:
        assert page.locator(PANEL).locator(".widget-slider").count() > 0, (
            f"{notebook.name}: no slider was rendered"
        )
        assert "move the sliders in JupyterLab" not in page.locator(PANEL).first.inner_text()
    screenshot(page, notebook.stem)
    if notebook.stem in EXTRA_CHECKS:
        EXTRA_CHECKS[notebook.stem](page)


def _macs_of_mobilenet(alpha: float, resolution: int) -> int:
    from smallnets_edu import cost, models

    return cost.profile(models.build("mobilenet_v1", width_mult=alpha, num_classes=1000), resolution).macs


def check_mobilenet_explorer(page) -> None:
    """Lesson 03: moving the α and resolution sliders changes the MACs readout (to the value the
    package computes for the ImageNet MobileNet) and the figure."""
    from playwright.sync_api import expect

    name = "03_mobilenet.ipynb"
    readout = page.locator(PANEL).locator(".smallnets-readout .macs").first
    figure = page.locator(PANEL).locator(".smallnets-figure img").first
    expect(readout).to_have_text(f"{_macs_of_mobilenet(1.0, 224):,}", timeout=30_000)
    before = figure.get_attribute("src")

    def press(label: str, key: str) -> None:
        slider = (
            page.locator(PANEL)
            .locator(".widget-slider", has=page.locator(".widget-label", has_text=label))
            .first
        )
        handle = slider.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        handle.press(key)

    press("α (width)", "ArrowLeft")  # 1.00 -> 0.95
    expect(readout).to_have_text(f"{_macs_of_mobilenet(0.95, 224):,}", timeout=30_000)
    expect(figure).not_to_have_attribute("src", before or "", timeout=30_000)
    after_alpha = figure.get_attribute("src")
    press("resolution", "ArrowLeft")  # 224 -> 192
    expect(readout).to_have_text(f"{_macs_of_mobilenet(0.95, 192):,}", timeout=30_000)
    expect(figure).not_to_have_attribute("src", after_alpha or "", timeout=30_000)
    assert_clean(page, name)
    screenshot(page, "03_mobilenet_explorer")


EXTRA_CHECKS = {"03_mobilenet": check_mobilenet_explorer}
