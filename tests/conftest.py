"""Shared fixtures: paths of the course, and temporary copies of it for nbgrader runs."""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "agg")

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


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A temporary, self-contained copy of the course with all source notebooks."""
    return make_course_copy(tmp_path / "course")


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the test session (tests/postgres.py); stopped and deleted after."""
    from tests.postgres import postgres_server as start

    with start() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """``postgresql+psycopg2://…`` URL of an empty database of its own, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
