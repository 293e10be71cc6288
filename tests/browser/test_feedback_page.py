"""The feedback page a student opens, served by the Jupyter server with every request
beyond this machine blocked: the math is typeset (MathJax from the environment, not a
CDN), long ✗ lines wrap, and parts nobody has marked yet say so instead of "0.0 / 3.0"."""

from __future__ import annotations

import pytest

from conftest import ASSIGNMENT, ROOT
from course.instructor.autograde import autograde
from course.instructor.demo import course_environment, scratch_course
from course.instructor.nbgrader_cli import nbgrader
from course.instructor.synthetic import write_class
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, jupyterlab, offline

pytestmark = [pytest.mark.browser, pytest.mark.nbgrader]
ARTIFACTS = ROOT / "artifacts" / "browser"
NOTEBOOK = "01_paper_calculation"

# The prose of the markdown cells without typeset math and code: what would show a raw $.
TEXT_JS = """() => [...document.querySelectorAll('.text_cell_render')].map(cell => {
  const copy = cell.cloneNode(true);
  copy.querySelectorAll('code, pre, script, .MathJax, .MathJax_Display, .MathJax_Preview').forEach(e => e.remove());
  return copy.textContent;
}).join('\\n')"""


def test_feedback_page_offline(tmp_path):
    from playwright.sync_api import sync_playwright

    course = scratch_course(ROOT, tmp_path / "course", ASSIGNMENT, [NOTEBOOK])
    with course_environment(course):
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
        write_class(course, ASSIGNMENT, {"student_slip": "partly_wrong"})
        autograde(course, ASSIGNMENT)
        nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    page_path = f"feedback/student_slip/{ASSIGNMENT}/{NOTEBOOK}.html"
    assert (course / page_path).exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with jupyterlab(course, tmp_path) as (url, token), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        blocked = offline(page)
        console = ConsoleLog(page, url)
        page.goto(f"{url}/files/{page_path}?token={token}")
        page.wait_for_function("document.querySelectorAll('.MathJax, .MathJax_CHTML, .MathJax_SVG').length > 5",
                               timeout=120_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "feedback-offline.png"))
        page.screenshot(path=str(ARTIFACTS / "feedback-offline-full.png"), full_page=True)
        assert blocked == [], blocked  # nothing even tried the internet
        text = page.evaluate(TEXT_JS)
        assert "$" not in text, [line for line in text.splitlines() if "$" in line][:5]
        assert "Math Processing Error" not in page.inner_text("body")
        body = page.inner_text("body")
        assert "Score: 0.0 / 3.0" not in body and "Score: 0.0 / 4.0" not in body
        assert "Not marked yet: 3 points" in body and "marked by hand and not marked yet" in body
        assert "✗" in body  # the slip's feedback line is on the page ...
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than the window"  # ... and wraps
        # Jupyter serves /files/ pages sandboxed (no origin), so the browser refuses them
        # MathJax's web fonts; MathJax falls back to system fonts (checked above).
        errors = [e for e in console.errors if "font" not in e.lower() and "about:blank" not in e
                  and "/static/jupyter_server_mathjax/fonts/" not in e]
        assert errors == [], "\n".join(errors)

        # The same page from JupyterLab's file browser (where nbgrader's "view feedback" leads):
        # the HTML viewer runs no script until the student trusts the page, then MathJax comes
        # from the server named by the viewer's <base>, still offline.
        viewer = browser.new_page(viewport={"width": 1200, "height": 900})
        viewer_blocked = offline(viewer)
        open_trusted_html(viewer, url, token, page_path)
        frame = viewer.frame_locator(".jp-HTMLViewer iframe")
        typeset = frame.locator(".MathJax, .MathJax_CHTML").nth(5)
        typeset.wait_for(timeout=120_000)
        typeset.scroll_into_view_if_needed()
        viewer.wait_for_timeout(1000)
        viewer.screenshot(path=str(ARTIFACTS / "feedback-offline-jupyterlab-viewer.png"))
        assert viewer_blocked == [], viewer_blocked
        viewer_text = frame.locator("body").evaluate(f"body => ({TEXT_JS})()")
        assert "$" not in viewer_text, [line for line in viewer_text.splitlines() if "$" in line][:5]
        browser.close()


def open_trusted_html(page, url: str, token: str, path: str) -> None:
    """Open ``path`` in JupyterLab's HTML viewer, as a double click in the file browser does,
    and press the viewer's *Trust HTML* button."""
    page.goto(f"{url}/lab/workspaces/feedback/tree/{path}?reset&token={token}")
    page.wait_for_selector(".jp-HTMLViewer iframe", timeout=60_000)
    page.get_by_text("Trust HTML", exact=True).click()
    page.wait_for_function("document.querySelector('.jp-HTMLViewer iframe').sandbox.contains('allow-scripts')",
                           timeout=30_000)
