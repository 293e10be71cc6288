"""What a student on the hub sees with per-student values on: notebook 1 in JupyterLab.

The server runs with the student's identity (``JUPYTERHUB_USER``) and the course's switch
and salt in its environment, as a JupyterHub single-user server would; the rendered table
of given values and hint table must show that student's numbers.
"""

from __future__ import annotations

import math

import pytest

from conftest import ROOT
from course.exercise import values
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, finished_course, jupyterlab
from tests.browser.test_jupyterlab import open_and_run

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "artifacts" / "browser"
SALT = "browser-salt"


def test_student_sees_own_values_in_jupyterlab(generated_course, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    for name, value in {"JUPYTERHUB_USER": "alice", "COURSE_PER_STUDENT_VALUES": "1",
                        "COURSE_VALUES_SALT": SALT, "NBGRADER_COURSE_ID": "backprop-by-hand"}.items():
        monkeypatch.setenv(name, value)   # the server, and so the kernel, inherits these
    alice = values.derive("alice", course="backprop-by-hand", salt=SALT)
    root = finished_course(tmp_path, generated_course)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with jupyterlab(root, tmp_path) as (url, token), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        console = ConsoleLog(page, url)
        try:
            open_and_run(page, url, token, "01_paper_calculation.ipynb")
            markdown_outputs = page.locator(".jp-OutputArea-output.jp-RenderedMarkdown")
            given = markdown_outputs.filter(has_text="Your values").first
            given.scroll_into_view_if_needed()
            text = given.inner_text()
            assert "student alice" in text
            cells = [td.inner_text().strip() for td in given.locator("td").all()]
            assert cells == [f"{v:g}" for v in alice], cells
            hints = markdown_outputs.filter(has_text="Hint").first
            hint_cells = [td.inner_text().strip() for td in hints.locator("td").all()]
            table = values.hint_table(alice)
            assert hint_cells[1:] == [f"{1 / (1 + math.exp(-p)):.4f}" for p in table], hint_cells
            assert given.locator("mjx-container").count() >= 4, "the column headers are not typeset"
            page.screenshot(path=str(ARTIFACTS / "01_paper_calculation-own-values.png"))
            assert console.errors == [], "\n".join(console.errors)
        finally:
            page.close()
            browser.close()
