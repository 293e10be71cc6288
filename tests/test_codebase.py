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
