"""A real browser: JupyterLab runs each notebook as a student who finished it, the
math renders, sliders draw and respond to the keyboard; formgrader shows the assignment.

Playwright drives Debian's Chromium.  In CI a missing browser is a failure, not a skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ASSIGNMENT, ROOT
from tests.browser.servers import (CHROMIUM, CHROMIUM_ARGS, ConsoleLog, explorer_pictures, finished_course,
                                   jupyterlab, press_keys_and_capture)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "artifacts" / "browser"


def test_chromium_is_installed():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `apt-get install chromium` (`make test` does, as root)"


@pytest.fixture(scope="module")
def lab(generated_course, tmp_path_factory):
    """JupyterLab on a temporary course whose work/ folder holds finished notebooks."""
    base = tmp_path_factory.mktemp("lab")
    root = finished_course(base, generated_course)
    with jupyterlab(root, base) as (url, token):
        yield url, token, root


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is required for browser tests"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


KERNEL_READY_JS = """() => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const context = widget && widget.sessionContext;
  const kernel = context && context.session && context.session.kernel;
  return Boolean(context && context.isReady && kernel && kernel.status === 'idle');
}"""
ALL_EXECUTED_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
  return prompts.length > 0 && prompts.every(text => /\\[\\d+\\]/.test(text));
}"""


def open_and_run(page, url: str, token: str, notebook: str) -> None:
    """Open ``work/<notebook>``, wait for its kernel, run all cells and wait until every code cell ran."""
    # A workspace of its own, reset: otherwise JupyterLab reopens the previous test's notebook.
    workspace = Path(notebook).stem.replace("_", "-")
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/work/{notebook}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(KERNEL_READY_JS, timeout=90_000, polling=250)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(ALL_EXECUTED_JS, timeout=240_000, polling=500)
    page.wait_for_timeout(1500)  # widget views render after the last reply


# The key that moves each notebook's first slider from where its explorer opens
# (notebook 3's first slider, depth, opens at its maximum).
FIRST_SLIDER_KEY = {"01_paper_calculation": "ArrowRight", "02_code_verification": "ArrowRight",
                    "03_gradient_flow": "ArrowLeft"}


@pytest.mark.parametrize("notebook", ["01_paper_calculation.ipynb", "02_code_verification.ipynb",
                                      "03_gradient_flow.ipynb"])
def test_notebook_runs_renders_and_responds(lab, browser, notebook):
    """Run All as a student who finished: no stderr, math typeset, the explorer's picture
    drawn with a size, and its pixels change when the first slider moves."""
    url, token, _root = lab
    name = Path(notebook).stem
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console = ConsoleLog(page, url)
    try:
        open_and_run(page, url, token, notebook)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))  # where Run All leaves the view: the end
        page.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"{name}-top.png"))  # the title and the setup cell
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.first.inner_text()[:2000]
        assert page.locator("mjx-container").count() > 0, "no rendered math"
        (picture,) = explorer_pictures(page, expected=1)
        area = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider")).first
        readout = area.locator(".widget-slider .widget-readout").first
        before_text = readout.inner_text()
        before, after = press_keys_and_capture(page, picture, area.locator(".widget-slider .noUi-handle").first,
                                               ARTIFACTS / f"{name}-after-slider.png", key=FIRST_SLIDER_KEY[name])
        assert readout.inner_text() != before_text, "slider readout did not move"
        assert after != before, "the picture did not change when the slider moved"
        page.screenshot(path=str(ARTIFACTS / f"{name}-explorer.png"))
        assert console.errors == [], "\n".join(console.errors)
    finally:
        page.close()


def test_formgrader_shows_the_assignment(lab, browser):
    url, token, _root = lab
    page = browser.new_page()
    try:
        page.goto(f"{url}/formgrader?token={token}")
        page.wait_for_selector(f"text={ASSIGNMENT}", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "formgrader.png"))
    finally:
        page.close()


def test_an_untouched_release_notebook_opens_unmodified(lab, browser):
    """Opening a notebook and starting its kernel changes nothing a student would be asked
    to save (JupyterLab writes the kernel's language_info: the release already has it)."""
    url, token, root = lab
    notebook = f"release/{ASSIGNMENT}/01_paper_calculation.ipynb"
    assert (root / notebook).exists()
    page = browser.new_page()
    try:
        page.goto(f"{url}/lab/workspaces/untouched/tree/{notebook}?reset&token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(KERNEL_READY_JS, timeout=90_000, polling=250)
        page.wait_for_timeout(2000)  # the kernel's info has arrived and been applied
        dirty = page.evaluate("window.jupyterapp.shell.currentWidget.context.model.dirty")
        assert dirty is False, "an untouched notebook is marked modified on opening"
    finally:
        page.close()
