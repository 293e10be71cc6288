"""The classroom dashboard served by Voila (`make present`): both explorers draw, with
large type, and respond to the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, press_keys_and_capture, voila

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "artifacts" / "browser"


def test_dashboard_draws_and_responds(tmp_path):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is required for browser tests"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with voila(ROOT / "demos" / "backprop_explorer.ipynb", tmp_path, ROOT) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        try:
            page.goto(url, timeout=120_000)
            # x, W1, b1, W2, b2 for the graph; depth, init scale, seed for the bars.
            page.wait_for_function("document.querySelectorAll('.widget-slider').length >= 8", timeout=120_000)
            page.wait_for_timeout(2000)
            page.screenshot(path=str(ARTIFACTS / "voila-dashboard.png"), full_page=True)
            assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            label_size = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('.widget-label')).fontSize)")
            assert label_size >= 18, f"slider labels are {label_size}px: too small to read from the back"

            explorers = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider"))
            assert explorers.count() == 2
            for index in range(2):  # the first slider of each explorer
                area = explorers.nth(index)
                before, after = press_keys_and_capture(page, area, area.locator(".widget-slider .noUi-handle").first,
                                                       ARTIFACTS / f"voila-after-slider-{index}.png")
                assert after != before, f"slider {index}: the dashboard did not change"
        finally:
            browser.close()
