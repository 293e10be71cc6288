"""Shared fixtures: paths of the course, temporary copies of it for nbgrader runs, and
the guard that keeps slow tests out of the fast lane.

Lanes: ``make test`` runs everything; ``make test-fast`` deselects the markers in
:data:`SLOW_MARKERS`.  A test that runs nbgrader, a browser or a server must carry the
marker: tests using the fixtures in :data:`FIXTURE_MARKERS` get it automatically, and
an unmarked test that starts such a process fails with a message saying which marker
it needs (:func:`_guard_process`), so no new test slips into the fast lane unnoticed.

Parallel runs: ``make test`` runs the suite in two pytest-xdist workers with ``--dist
loadfile``: all tests of a file run in one worker, so a module's fixtures (a graded
class, a JupyterLab, a hub) are built once; session fixtures (``generated_course``,
``postgres_server``) are built once per worker.  (Not ``loadgroup``: pytest-xdist 3.8
marks groups by editing node ids, which pytest 9.2 ignores, so it silently stops
grouping.)  Each run gets a temporary root of its own (:func:`pytest_configure`), so
two runs at once never delete each other's folders.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from course.kernel.environment import GRADING, set_defaults

# Before any test imports TensorFlow or starts a kernel: kernels inherit it.
set_defaults(GRADING)

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ex01_backprop"
SOURCE_DIR = ROOT / "source" / ASSIGNMENT
RELEASE_DIR = ROOT / "release" / ASSIGNMENT
NOTEBOOK_NAMES = ("01_paper_calculation", "02_code_verification", "03_gradient_flow")


def source_notebooks() -> list[Path]:
    return sorted(SOURCE_DIR.glob("*.ipynb"))


def release_notebooks() -> list[Path]:
    return sorted(RELEASE_DIR.glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def make_course_copy(destination: Path, *, with_release: bool = False,
                     notebooks: tuple[str, ...] | None = None) -> Path:
    """Copy the course (config, package, source notebooks) into ``destination``.

    ``notebooks`` limits the copied source notebooks by stem; the copy has its own
    gradebook and exchange, so nbgrader runs there never touch the working tree.
    """
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", destination)
    shutil.copytree(ROOT / "course", destination / "course",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (destination / "source" / ASSIGNMENT).mkdir(parents=True)
    for path in source_notebooks():
        if notebooks is None or path.stem in notebooks:
            shutil.copy2(path, destination / "source" / ASSIGNMENT / path.name)
    if with_release and RELEASE_DIR.exists():
        shutil.copytree(RELEASE_DIR, destination / "release" / ASSIGNMENT)
    return destination


HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def hidden_test_lines(*paths: Path) -> set[str]:
    """Every non-trivial line (over 10 characters) of the hidden tests in ``paths``."""
    return {line.strip() for path in paths for cell in read(path).cells
            for region in HIDDEN_TESTS.findall(cell.source)
            for line in region.splitlines() if len(line.strip()) > 10}


def visible_text(page: Path) -> str:
    """The text an HTML page shows: tags dropped (code is split into <span>s), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def folder_checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path (to prove nothing changed)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_generated_course(template: Path, destination: Path, *,
                          notebooks: tuple[str, ...] | None = None, db_url: str | None = None) -> Path:
    """A private copy of the :func:`generated_course` template to grade in.

    ``notebooks`` (stems) keeps only those notebooks in ``source/`` and ``release/``; the
    gradebook still knows all three, and nbgrader scores a notebook nobody submitted as
    zero without running it, so a one-notebook test pays for one notebook.  ``db_url``
    (PostgreSQL, say) replaces the copied SQLite gradebook: the assignment is generated
    into that database, so it holds what the template's gradebook holds.
    """
    shutil.copytree(template, destination)
    if db_url is not None:
        from course.instructor.nbgrader_cli import nbgrader, nbgrader_env

        (destination / "gradebook.db").unlink()
        nbgrader(destination, "generate_assignment", ASSIGNMENT, "--force",
                 env=nbgrader_env(destination, {"NBGRADER_DB_URL": db_url}))
    if notebooks is not None:
        keep = {f"{stem}.ipynb" for stem in notebooks}
        for folder in ("source", "release"):
            for path in (destination / folder / ASSIGNMENT).glob("*.ipynb"):
                if path.name not in keep:
                    path.unlink()
    return destination


@pytest.fixture(scope="session")
def generated_course(tmp_path_factory) -> Path:
    """The course with ``nbgrader generate_assignment`` run once for the whole session.

    A read-only template (``release/`` and ``gradebook.db`` included): tests that grade,
    release or collect work in :func:`copy_generated_course` copies of it.
    """
    from course.instructor.nbgrader_cli import nbgrader

    root = make_course_copy(tmp_path_factory.mktemp("generated") / "course")
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    return root


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the test session (tests/support/postgres.py); stopped and deleted after."""
    from support.postgres import postgres_server as start

    with start() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """``postgresql+psycopg2://…`` URL of an empty database of its own, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


# --- lanes ----------------------------------------------------------------------------------

SLOW_MARKERS = ("nbgrader", "browser", "server", "hub")

# Fixtures that imply a marker: a test using one is marked at collection.
FIXTURE_MARKERS = {
    "generated_course": "nbgrader",
    "postgres_server": "server",
    "postgres_url": "server",
}

# Programs (basename of any argument) that put a test in a slow lane.
PROCESS_MARKERS = {
    "nbgrader": "nbgrader", "course.instructor.autograde": "nbgrader", "course.instructor.demo": "nbgrader",
    "chromium": "browser", "playwright": "browser",
    "ipykernel_launcher": "server", "jupyter-lab": "server", "jupyter-server": "server", "voila": "server",
    "jupyterhub": "server", "configurable-http-proxy": "server",
    "initdb": "server", "pg_ctl": "server", "postgres": "server",
    "bwrap": "server", "course.sandbox.zygote": "server", "course.sandbox.launcher": "server",
}


def _is_slow(item) -> bool:
    return any(item.get_closest_marker(marker) for marker in SLOW_MARKERS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in item.fixturenames and item.get_closest_marker(marker) is None:
                item.add_marker(marker)
    if hasattr(config, "workerinput"):
        # In xdist workers (--dist loadfile hands out whole files, in the order of their first
        # test), files with slow tests first; a stable sort keeps the files' own order.  The
        # short fast-lane files then fill the end of the run, instead of one long module
        # finishing it alone.  (A serial run keeps the fast tests first: they fail first.)
        items.sort(key=lambda item: not _is_slow(item))


# --- temporary folders ------------------------------------------------------------------------

_OWN_BASETEMP = pytest.StashKey[Path]()
_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """A temporary root of this run's own (``--basetemp`` given on the command line wins).

    pytest's default root, ``/tmp/pytest-of-<user>``, is shared by every run of that user
    and keeps only the last three runs' folders: a run started meanwhile deletes the
    folders of one still running.  Before pytest's own ``tmp_path`` setup (``tryfirst``);
    xdist workers get folders inside the controller's root.
    """
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="backprop-pytest-")
        config.stash[_OWN_BASETEMP] = Path(config.option.basetemp)


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_PASSED] = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)


def pytest_unconfigure(config):
    """Remove this run's temporary root after a green run; keep it to look into after a red one."""
    own = config.stash.get(_OWN_BASETEMP, None)
    if own is None:
        return
    if config.stash.get(_PASSED, False):
        shutil.rmtree(own, ignore_errors=True)
    elif own.exists():
        print(f"\ntemporary folders of this run kept in {own}")


_current_item: list = [None]


def _watching(item):
    """Watch the processes ``item`` starts while it is set up (fixtures included) and runs.

    Not at teardown: a session fixture's server stops in whichever test ran last.
    """
    _current_item[0] = item
    try:
        yield
    finally:
        _current_item[0] = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    yield from _watching(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from _watching(item)


def _needed_marker(args) -> str | None:
    words = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
    for word in words:
        for part in str(os.fsdecode(word)).split():
            name = os.path.basename(part)
            if name in PROCESS_MARKERS:
                return PROCESS_MARKERS[name]
    return None


_original_popen_init = subprocess.Popen.__init__


def _guard_process(self, args, *rest, **kwargs):
    """Fail an unmarked test that starts nbgrader, a browser, a kernel or a server."""
    item = _current_item[0]
    marker = _needed_marker(args)
    if item is not None and marker is not None and not any(item.get_closest_marker(m) for m in SLOW_MARKERS):
        pytest.fail(f"{item.nodeid} starts {args!r}: mark it @pytest.mark.{marker} "
                    f"(unmarked tests form the fast lane, `make test-fast`)", pytrace=False)
    _original_popen_init(self, args, *rest, **kwargs)


subprocess.Popen.__init__ = _guard_process
