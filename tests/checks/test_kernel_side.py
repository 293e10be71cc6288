"""What a student's kernel imports holds no grader-side code.

Student-side modules (course.kernel.* and the helpers the notebooks import) are imported
in a fresh interpreter: none of the grader's judges (course.checks), oracles
(course.oracles), instructor tools, the grader, nbgrader or TensorFlow may end up in
``sys.modules``.  And every import statement under course/kernel/, course/widgets/ and
the values modules (lazy ones inside functions included) is read from the source: only
numpy, IPython, the standard library and the student-side course modules are allowed.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"

# The course modules a student's kernel may import (course.kernel.* is found on disk).
STUDENT_SIDE = (
    "course", "course.exercise", "course.exercise.constants", "course.exercise.networks", "course.exercise.values",
    "course.exercise.display", "course.sandbox", "course.sandbox.launcher", "course.sandbox.zygote",
    "course.widgets", "course.widgets._env", "course.widgets.classroom", "course.widgets.gradient_flow",
    "course.widgets.sigmoid", "course.widgets.svg", "course.widgets.verification",
)
# course.grader.cells (also student-side by the design) is left out: it is built on nbgrader.utils,
# and nothing a kernel imports uses it.
GRADER_SIDE = ("course.checks", "course.oracles", "course.instructor", "course.grader", "nbgrader")
# Third-party packages student-side code may import (tensorflow only in the notebooks themselves;
# traitlets and jupyter_core read the per-student values' configuration, ipywidgets and
# matplotlib draw the explorers).
THIRD_PARTY = ("numpy", "IPython", "ipywidgets", "matplotlib", "traitlets", "jupyter_core", "nbformat", "ipykernel")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _kernel_modules() -> list[str]:
    return sorted(_module_name(path) for path in (COURSE / "kernel").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, anywhere in the file."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            # ``from . import svg`` names a submodule.
            names.update(f"{module}.{alias.name}" for alias in node.names
                         if (COURSE.parent / Path(*module.split("."), f"{alias.name}.py")).exists())
    return names


def test_the_kernel_package_exists_with_its_modules():
    modules = _kernel_modules()
    for name in ("course.kernel", "course.kernel.result", "course.kernel.checks.paper",
                 "course.kernel.checks.verification", "course.kernel.checks.gradient_flow"):
        assert name in modules


def test_importing_the_student_side_loads_nothing_of_the_grader():
    # (the sandbox's launcher and kernel server are read from source below, not started here)
    modules = [m for m in (*STUDENT_SIDE, *_kernel_modules()) if not m.startswith("course.sandbox")]
    code = ("import json, sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "course.kernel.checks.paper" in loaded  # the probe really ran
    offending = [m for m in loaded if m.split(".")[0] == "tensorflow"
                 or any(m == g or m.startswith(g + ".") for g in GRADER_SIDE)]
    assert offending == []


@pytest.mark.parametrize("path", [*sorted((COURSE / "kernel").rglob("*.py")), *sorted((COURSE / "widgets").glob("*.py")),
                                  *sorted((COURSE / "exercise").glob("*.py")),
                                  COURSE / "sandbox" / "launcher.py", COURSE / "sandbox" / "zygote.py"],
                         ids=lambda path: str(path.relative_to(ROOT)))
def test_student_side_source_imports_only_student_side_modules(path):
    allowed_course = set(STUDENT_SIDE) | set(_kernel_modules())
    for name in _imports(path):
        top = name.split(".")[0]
        if top == "course":
            assert name in allowed_course, f"{path.name} imports {name}"
        else:
            assert top in THIRD_PARTY or top in sys.stdlib_module_names, f"{path.name} imports {name}"


def test_the_import_reader_sees_lazy_and_relative_imports():
    """The source check can fail: a lazy relative import of an oracle is found."""
    probe = COURSE / "widgets" / "_probe_for_test.py"
    probe.write_text("def f():\n    from ..oracles.deep import reference_analyze\n    return reference_analyze\n")
    try:
        assert "course.oracles.deep" in _imports(probe)
    finally:
        probe.unlink()
