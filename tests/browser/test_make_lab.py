"""`make lab` as an instructor meets it, in a terminal: JupyterLab without the "news?"
pop-up, formgrader without the missing-exchange warning, and Ctrl-C stops it without
tracebacks.  Runs the real Makefile on a temporary copy of the course."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS, ConsoleLog, free_port

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "artifacts" / "browser"
# What `make lab` reads; copied with their times so the venv's setup stamp stays newer.
COURSE_FILES = ("Makefile", "nbgrader_config.py", "requirements.txt", "requirements.lock", "pyproject.toml")


class Terminal:
    """``command`` run in a pseudo-terminal, as typed at a shell prompt: Ctrl-C written
    to the terminal reaches the whole foreground job, and everything printed is kept."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]):
        self.output = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the command
            os.chdir(cwd)
            os.execvpe(command[0], command, {**os.environ, **env})

    def read(self, seconds: float) -> bool:
        """Collect output for ``seconds``; False once the command has exited."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return False
                if not data:
                    return False
                self.output += data
        return True

    def wait_for(self, pattern: bytes, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output)
            if match:
                return match
            if not self.read(0.5):
                break
        raise AssertionError(f"{pattern!r} not printed:\n{self.output.decode(errors='replace')[-3000:]}")

    def ctrl_c(self) -> None:
        os.write(self.fd, b"\x03")

    def close(self) -> int | None:
        """Wait briefly for the command; kill its process group if it is still running."""
        for _ in range(60):
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return status
            self.read(0.5)
        os.killpg(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None


@pytest.fixture
def course(tmp_path) -> Path:
    root = tmp_path / "course"
    root.mkdir()
    for name in COURSE_FILES:
        shutil.copy2(ROOT / name, root / name)
    # nbgrader_config.py imports the course package from beside itself.
    shutil.copytree(ROOT / "course", root / "course", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "etc", root / "etc")
    shutil.copytree(ROOT / "source", root / "source")
    return root


def test_make_lab_has_no_popup_no_formgrader_warning_and_stops_cleanly(course):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # JupyterLab's workspaces in a folder of the test's own: the user's default workspace
    # (in ~/.jupyter) would reopen whatever they had open, hiding this notebook behind it,
    # and the test must not rewrite it.
    workspaces = {"JUPYTERLAB_WORKSPACES_DIR": str(course.parent / "lab-workspaces")}
    terminal = Terminal(["make", "lab", f"VENV={sys.prefix}", f"PORT={port}"], course, workspaces)
    try:
        token = terminal.wait_for(rb"token=([0-9a-f]+)", timeout=120).group(1).decode()
        terminal.read(2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            console = ConsoleLog(page, f"http://127.0.0.1:{port}/")
            page.goto(f"http://127.0.0.1:{port}/lab/tree/source/ex01_backprop/01_paper_calculation.ipynb"
                      f"?token={token}")
            page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", timeout=180_000)
            terminal.read(10)  # the news question used to pop up a few seconds after start
            page.screenshot(path=str(ARTIFACTS / "make-lab.png"))
            assert page.get_by_text("Jupyter news").count() == 0, "the news pop-up covers the notebook"
            assert page.locator(".jp-Notification-Toast").count() == 0

            formgrader = browser.new_page(viewport={"width": 1400, "height": 900})
            formgrader.goto(f"http://127.0.0.1:{port}/formgrader?token={token}")
            formgrader.wait_for_selector("text=ex01_backprop", timeout=180_000)
            formgrader.screenshot(path=str(ARTIFACTS / "make-lab-formgrader.png"))
            text = formgrader.inner_text("body")
            assert "exchange directory" not in text and "could not be created" not in text, text[:1500]
            assert formgrader.locator(".alert-warning, .alert-danger").count() == 0
            assert console.errors == [], "\n".join(console.errors)

            before_stop = len(terminal.output)
            terminal.ctrl_c()
            terminal.read(1)
            terminal.ctrl_c()
            while terminal.read(1):
                pass
            browser.close()
        stopped = terminal.output[before_stop:].decode(errors="replace")
        assert "Shutting down" in stopped, stopped
        assert "Traceback" not in stopped and "Event loop is closed" not in stopped, stopped
    finally:
        terminal.close()
