"""Start JupyterLab or Voila on a free loopback port for browser tests and benchmarks."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from course.kernel.environment import QUIET_TENSORFLOW, set_defaults

CHROMIUM = "/usr/bin/chromium"
COURSE_JUPYTER_CONFIG = Path(__file__).resolve().parents[2] / "etc" / "jupyter"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


def finished_course(base: Path, generated: Path | None = None) -> Path:
    """A temporary course under ``base`` whose ``work/`` folder holds finished notebooks.

    The course is generated (so formgrader knows the assignment) — copied from
    ``generated`` (the tests' ``generated_course``) when given; ``work/`` holds each
    release notebook with the instructor's solutions filled in, as a student who finished.
    """
    import nbformat

    from conftest import ASSIGNMENT, copy_generated_course, make_course_copy
    from course.instructor.nbgrader_cli import nbgrader
    from course.instructor.synthetic import full_submission

    if generated is not None:
        root = copy_generated_course(generated, base / "course")
    else:
        root = make_course_copy(base / "course")
        nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    work = root / "work"
    work.mkdir()
    for source in sorted((root / "source" / ASSIGNMENT).glob("*.ipynb")):
        nbformat.write(full_submission(source, root / "release" / ASSIGNMENT / source.name), work / source.name)
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server not ready after {timeout} s:\n{log.read_text()[-4000:]}")


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    # Voila runs the notebook on every page GET, so readiness is probed without one.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-4000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"server not listening after {timeout} s:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


class ConsoleLog:
    """Browser console errors, uncaught page errors and failed requests (HTTP >= 400) of
    ``page`` that come from the server at ``base_url``; ``errors`` lists them as text.

    Console messages from pages of other hosts are left out unless ``other_hosts``; a
    failed request to another host shows as a console error of the page that asked.
    """

    def __init__(self, page, base_url: str, *, other_hosts: bool = False):
        self.errors: list[str] = []
        origin = "/".join(base_url.split("/")[:3])

        def on_console(message) -> None:
            where = (message.location or {}).get("url", "")
            if message.type == "error" and (other_hosts or not where.startswith("http") or where.startswith(origin)):
                self.errors.append(f"console: {message.text[:300]} ({where[:120]})")

        def on_response(response) -> None:
            if response.status >= 400 and response.url.startswith(origin):
                self.errors.append(f"HTTP {response.status}: {response.url[:160]}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {str(error)[:300]}"))
        page.on("response", on_response)


def offline(page) -> list[str]:
    """Abort every request of ``page`` (and of its frames) to a host other than this machine,
    as a classroom without internet would; returns the list the aborted URLs are added to."""
    from urllib.parse import urlparse

    blocked: list[str] = []

    def only_this_machine(route) -> None:
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_this_machine)
    return blocked


# An explorer's picture: the SVG inside an ipywidgets HTML output.
PICTURE = ".widget-html-content svg[role=img]"


def explorer_pictures(page, expected: int, timeout: float = 60_000) -> list:
    """Wait until ``expected`` explorer pictures are drawn with a non-zero size; return
    their locators (in page order)."""
    page.wait_for_function(
        """([selector, expected]) => {
             const drawn = [...document.querySelectorAll(selector)].filter(svg => {
               const box = svg.getBoundingClientRect();
               return box.width > 100 && box.height > 100 && svg.querySelectorAll('text').length > 3;
             });
             return drawn.length >= expected;
           }""", arg=[PICTURE, expected], timeout=timeout)
    pictures = page.locator(PICTURE)
    assert pictures.count() == expected, f"{pictures.count()} pictures, {expected} expected"
    for index in range(expected):
        box = pictures.nth(index).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, f"picture {index} drawn at {box}"
    return [pictures.nth(index) for index in range(expected)]


def press_keys_and_capture(page, area, handle, screenshot: Path, presses: int = 3,
                           key: str = "ArrowRight") -> tuple[bytes, bytes]:
    """Screenshot ``area``, press ``key`` ``presses`` times on slider ``handle``, screenshot again.

    Returns (before, after) PNG bytes; the second is also saved to ``screenshot``.
    """
    handle.scroll_into_view_if_needed()
    before = area.screenshot()
    handle.focus()
    for _ in range(presses):
        page.keyboard.press(key)
    page.wait_for_timeout(2000)
    return before, area.screenshot(path=str(screenshot))


def _root_flag() -> list[str]:
    # CI runs as root; Jupyter refuses to start as root without being told.
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def _environment(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(root)
    set_defaults(QUIET_TENSORFLOW, env)
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("MPLBACKEND", None)  # the notebook's own (inline) backend, as in a student's lab
    return env


@contextmanager
def jupyterlab(root: Path, workdir: Path):
    """Serve JupyterLab on ``root``; yields ``(base_url, token)``.

    Cells are not virtualised (windowing mode "none"), so every cell is in the DOM,
    and the app object is exposed as ``window.jupyterapp`` so tests can run commands.
    """
    port, token = free_port(), secrets.token_hex(16)
    settings = workdir / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    log = workdir / "jupyterlab.log"
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
               f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
               f"--LabApp.user_settings_dir={workdir / 'lab-settings'}",
               f"--LabApp.workspaces_dir={workdir / 'lab-workspaces'}", *_root_flag()]
    with open(log, "w") as handle:
        # The course's own Jupyter settings, as `make lab` uses them (no news pop-up).
        env = dict(_environment(root), JUPYTER_CONFIG_PATH=str(COURSE_JUPYTER_CONFIG))
        process = subprocess.Popen(command, cwd=root, env=env, stdout=handle, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/status?token={token}", process, log)
        yield base, token
    finally:
        _stop(process)


@contextmanager
def voila(notebook: Path, workdir: Path, root: Path):
    """Serve ``notebook`` with Voila from ``root`` (as `make present` does, so Voila reads
    the course's ``voila.json``); yields the page URL."""
    port = free_port()
    log = workdir / "voila.log"
    command = [str(Path(sys.executable).parent / "voila"), str(notebook.relative_to(root)), "--no-browser",
               f"--port={port}", "--Voila.ip=127.0.0.1"]
    env = _environment(root)
    # As the Makefile's `present`: the course's page template is found on JUPYTER_PATH.
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(root / "share" / "jupyter"), env.get("JUPYTER_PATH")]))
    with open(log, "w") as handle:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=handle, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_port(port, process, log)
        yield base
    finally:
        _stop(process)
