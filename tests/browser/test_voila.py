"""The classroom page served by Voila (`make present`), as a lecturer projects it at
1920×1080: both pictures are drawn and respond to the keyboard, the text is large, no
console errors, and nothing on the page at opening is one of notebook 1's answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from support.exercise_answers import EXERCISE, notebook_1_answers, revealed
from tests.browser.servers import (CHROMIUM, CHROMIUM_ARGS, ConsoleLog, explorer_pictures, offline,
                                   press_keys_and_capture, voila)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "artifacts" / "browser"
PAGE_TEXT_JS = """() => document.body.innerText + '\\n' +
  [...document.querySelectorAll('svg text, svg title')].map(t => t.textContent).join('\\n')"""


def test_classroom_page_draws_responds_and_gives_no_answer_away(tmp_path):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is required for browser tests"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with voila(ROOT / "demos" / "backprop_explorer.ipynb", tmp_path, ROOT) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        # A classroom without internet: nothing may be asked of another host, and every
        # console error counts, whichever host it names.
        blocked = offline(page)
        console = ConsoleLog(page, url, other_hosts=True)
        try:
            page.goto(url, timeout=120_000)
            # x, W1, b1, W2, b2 for the graph; depth, init scale, seed for the bars.
            page.wait_for_function("document.querySelectorAll('.widget-slider').length >= 8", timeout=120_000)
            pictures = explorer_pictures(page, expected=2)
            page.wait_for_timeout(1000)
            # Voila scrolls inside its own container: one projector-sized shot per explorer.
            page.screenshot(path=str(ARTIFACTS / "classroom-1920x1080.png"))
            pictures[1].scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "classroom-1920x1080-deep-network.png"))

            text = page.evaluate(PAGE_TEXT_JS)
            assert revealed(text, notebook_1_answers(**EXERCISE)) == {}
            assert "yours" not in text and "gives no exercise answer away" not in text
            assert "weights ignored" in text  # the dashed line is labelled for what it is
            assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            label_size = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('.widget-label')).fontSize)")
            assert label_size >= 18, f"slider labels are {label_size}px: too small to read from the back"

            explorers = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider"))
            assert explorers.count() == 2
            # the first slider of each explorer: x (opens mid-range), depth (opens at its maximum)
            for index, key in enumerate(("ArrowRight", "ArrowLeft")):
                area = explorers.nth(index)
                picture = pictures[index]
                before, after = press_keys_and_capture(page, picture, area.locator(".widget-slider .noUi-handle").first,
                                                       ARTIFACTS / f"classroom-after-slider-{index}.png", key=key)
                assert after != before, f"explorer {index}: the picture did not change when its slider moved"
            assert blocked == [], f"the classroom page asked the internet for {blocked}"
            assert console.errors == [], "\n".join(console.errors)
        finally:
            browser.close()
