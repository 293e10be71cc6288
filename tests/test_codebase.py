"""Habits of the codebase: lint, spelling of what students read, package contents listed.

Configuration lives in ``pyproject.toml`` (``[tool.ruff]``, ``[tool.codespell]``).
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, source_notebooks

BIN = Path(sys.executable).parent


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / tool), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_finds_nothing():
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def _prose_files(folder: Path, notebooks: list[Path]) -> list[Path]:
    """Each markdown cell of ``notebooks`` as a file named after notebook and cell."""
    files = []
    for path in notebooks:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "markdown":
                target = folder / f"{path.stem}--cell{index + 1}.md"
                target.write_text(cell.source)
                files.append(target)
    return files


def _misspellings(*paths: Path | str) -> str:
    result = _run("codespell", "--toml", str(ROOT / "pyproject.toml"), *map(str, paths))
    assert result.returncode in (0, 65), result.stderr  # 65: misspellings found
    return result.stdout


def test_prose_students_read_is_spelled_correctly(tmp_path):
    """Notebook text (markdown cells), the README, and the feedback and docstrings in course/."""
    notebooks = [*source_notebooks(), *sorted((ROOT / "demos").glob("*.ipynb"))]
    found = _misspellings(*_prose_files(tmp_path, notebooks), "README.md", "course")
    assert found == "", found


def test_spell_check_reports_a_misspelling(tmp_path):
    (tmp_path / "note.md").write_text("The gradeint is recieved from the next layer.\n")
    found = _misspellings(tmp_path / "note.md")
    assert "recieved" in found and "received" in found


def _packages() -> list[str]:
    names = ["course"]
    names += [f"course.{m.name}" for m in pkgutil.iter_modules(importlib.import_module("course").__path__)
              if m.ispkg]
    return names


@pytest.mark.parametrize("package", _packages())
def test_package_docstring_lists_every_module(package):
    module = importlib.import_module(package)
    names = {m.name for m in pkgutil.iter_modules(module.__path__) if not m.name.startswith("_")}
    doc = module.__doc__ or ""
    missing = {name for name in names if f"``{package}.{name}``" not in doc and f"``{name}``" not in doc}
    assert not missing, f"{package}/__init__.py does not list {sorted(missing)}"


def test_ci_workflow_runs_the_ci_entry_point():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    commands = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert "bash .ci/run" in commands and "make test-fast" in commands
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run is executable"


# --- the fast lane's guard (tests/conftest.py) ------------------------------------------------

@pytest.mark.parametrize("command, marker", [
    (["/venv/bin/nbgrader", "autograde", "ex01_backprop"], "nbgrader"),
    ([sys.executable, "-m", "course.instructor.autograde", "ex01_backprop"], "nbgrader"),
    ([sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"], "server"),
    (["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/initdb", "-D", "data"], "server"),
    ("/usr/bin/chromium --headless", "browser"),
    (["git", "ls-files"], None),
    ([str(BIN / "ruff"), "check", "."], None),
])
def test_guard_knows_which_commands_need_a_marker(command, marker):
    import conftest

    assert conftest._needed_marker(command) == marker


def test_guard_fails_an_unmarked_test_before_the_process_starts(request):
    import conftest

    class Unmarked:
        nodeid = "tests/test_new.py::test_forgot_its_marker"

        def get_closest_marker(self, name):
            return None

    assert conftest._current_item[0] is request.node  # the guard is watching this test
    try:
        conftest._current_item[0] = Unmarked()
        with pytest.raises(pytest.fail.Exception, match=r"test_forgot_its_marker starts .* @pytest.mark.nbgrader"):
            subprocess.Popen([str(BIN / "nbgrader"), "--version"])
    finally:
        conftest._current_item[0] = request.node
    with pytest.raises(pytest.fail.Exception, match=r"mark it @pytest.mark.server"):  # this test is unmarked too
        subprocess.Popen([sys.executable, "-m", "ipykernel_launcher"])
