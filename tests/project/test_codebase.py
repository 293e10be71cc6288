"""Habits of the codebase: lint, spelling of what students read, package contents listed.

Configuration lives in ``pyproject.toml`` (``[tool.ruff]``, ``[tool.codespell]``).
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import json
import os
import pkgutil
import re
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
    """Notebook text (markdown cells), the READMEs and docs/, and the feedback and docstrings in course/."""
    notebooks = [*source_notebooks(), *sorted((ROOT / "demos").glob("*.ipynb"))]
    found = _misspellings(*_prose_files(tmp_path, notebooks), "README.md", "deploy/README.md", "docs", "course")
    assert found == "", found


def test_spell_check_reports_a_misspelling(tmp_path):
    (tmp_path / "note.md").write_text("The gradeint is recieved from the next layer.\n")
    found = _misspellings(tmp_path / "note.md")
    assert "recieved" in found and "received" in found


def _tensorflow_settings(text: str) -> dict[str, str]:
    """``TF_*`` variables a Makefile or a Python mapping sets, by name."""
    found = re.findall(r'^export (TF_\w+) := (\S+)$', text, re.M)
    found += re.findall(r'"(TF_\w+)":\s*"([^"]*)"', text)
    return dict(found)


@pytest.mark.parametrize("where", ["Makefile", "deploy/jupyterhub_config.py", "deploy/localhub.py"])
def test_every_server_gets_the_same_tensorflow_settings(where):
    """Places that cannot import course/kernel/environment.py repeat its QUIET_TENSORFLOW exactly."""
    from course.kernel.environment import QUIET_TENSORFLOW

    assert _tensorflow_settings((ROOT / where).read_text()) == dict(QUIET_TENSORFLOW)


def test_importing_course_quiets_tensorflow():
    from course.kernel.environment import QUIET_TENSORFLOW

    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    result = subprocess.run([sys.executable, "-c", "import os, course, json; print(json.dumps(dict(os.environ)))"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    seen = json.loads(result.stdout)
    assert {k: seen.get(k) for k in QUIET_TENSORFLOW} == dict(QUIET_TENSORFLOW), result.stderr


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda p: p.stem)
def test_notebooks_import_course_before_tensorflow(path):
    """So TensorFlow starts quiet in any Jupyter (course/__init__.py sets its environment)."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    course_at = re.search(r"^\s*(import course|from course)", code, re.M)
    tensorflow_at = re.search(r"^\s*(import tensorflow|from tensorflow)", code, re.M)
    assert course_at is not None
    assert tensorflow_at is None or course_at.start() < tensorflow_at.start()


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


def test_kernel_environment_defaults_keep_what_is_set():
    from course.kernel.environment import GRADING, set_defaults

    env = set_defaults(GRADING, {"TF_CPP_MIN_LOG_LEVEL": "0"})  # a developer reading TensorFlow's logs
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "0" and env["MPLBACKEND"] == "agg" and env["TF_ENABLE_ONEDNN_OPTS"] == "0"


def test_no_module_of_the_course_is_over_500_lines():
    """Small modules that a newcomer can read: none of the course package is over 500 lines."""
    root = Path(__file__).resolve().parents[2] / "course"
    long = {str(path.relative_to(root)): n for path in root.rglob("*.py")
            if (n := len(path.read_text().splitlines())) > 500}
    assert not long, long


def _imports_within(package: Path) -> dict[str, set[str]]:
    """``{module: modules of the same package it imports}``, from every import statement
    (lazy ones inside functions too), relative imports resolved; ``package.sub`` for
    ``from package import sub`` when ``sub`` is a module."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module
                if node.level:   # from . / .. import: counted up from this module's package
                    parents = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join([*parents, *([node.module] if node.module else [])])
                targets |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def _import_cycle(package: Path) -> tuple[str, ...]:
    """One import cycle among ``package``'s modules, or () when there is none."""
    try:
        graphlib.TopologicalSorter(_imports_within(package)).prepare()
    except graphlib.CycleError as error:
        return tuple(error.args[1])
    return ()


def test_no_import_cycle_in_the_course_package():
    """Modules that import each other (an earlier checks/paper.py ↔ values.py) hide which
    one is the base; every import, lazy ones too, points one way."""
    assert _import_cycle(ROOT / "course") == ()


def test_the_cycle_finder_finds_a_cycle(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from .. import a\n")
    assert set(_import_cycle(package)) == {"pkg.a", "pkg.sub.b"}
    (package / "sub" / "b.py").write_text("import json\n")
    assert _import_cycle(package) == ()
