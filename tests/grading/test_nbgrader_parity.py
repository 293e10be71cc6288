"""nbgrader's own autograde tests, run with the course's execution step in place of nbgrader's.

``course.sandbox.kernels.SandboxedExecute`` replaces nbgrader's ``Execute`` in the
course's ``c.Autograde.autograde_preprocessors``.  nbgrader 0.9.6 ships the tests of
its execution step as autograde application tests (``nbgrader/tests/apps/
test_nbgrader_autograde.py``): each writes a small course with a configuration of its
own and runs ``nbgrader autograde`` in this process.  Here those about execution run with
that configuration's preprocessor list naming ``SandboxedExecute`` instead of
``Execute`` (in its sandbox, with fresh kernels: these courses start no warm pool) and
everything else as nbgrader has it, so its kernel choice (the notebook's kernelspec
when ``c.Execute.kernel_name`` is unset), timeouts, errors and missing notebooks must
behave as nbgrader's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from nbgrader.tests.apps.conftest import course_dir, db, temp_cwd  # noqa: F401 - nbgrader's fixtures
from nbgrader.tests.apps import test_nbgrader_autograde as nbgraders

from course.sandbox.kernels import SandboxedExecute

pytestmark = pytest.mark.nbgrader

# nbgrader's tests of what its execution step does: kernel choice, outputs and errors,
# hidden and hashed tests, a kernel that fails, loops and timeouts, files and side
# effects, missing notebooks.  Its other autograde tests (command line, timestamps and
# late penalties, --force and filters, permissions, updates) check the converter's
# bookkeeping, which the course does not replace; they are left to nbgrader's suite.
EXECUTION_TESTS = (
    "test_grade", "test_grade_autotest", "test_grade_hashed_autotest", "test_grade_complex_autotest",
    "test_showtraceback_exploit", "test_side_effects", "test_hidden_tests_autotest", "test_handle_failure",
    "test_missing_source_kernelspec", "test_incorrect_source_kernelspec", "test_incorrect_submitted_kernelspec",
    "test_no_execute", "test_infinite_loop", "test_missing_files", "test_grade_missing_notebook",
    "test_grade_with_validating_envvar", "test_autograde_timeout",
)


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__name__}"


@pytest.fixture(autouse=True)
def course_execute(temp_cwd, monkeypatch):  # noqa: F811 - nbgrader's fixture, by name
    """nbgrader's default autograde preprocessors, the course's execution step in place of its own."""
    # nbgrader runs `alembic` from PATH when it creates a gradebook.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    defaults = Autograde.class_traits()["autograde_preprocessors"].default()
    preprocessors = [SandboxedExecute if cls is Execute else cls for cls in defaults]
    assert SandboxedExecute in preprocessors
    with open("nbgrader_config.py", "a") as config:
        config.write(f"\nc.Autograde.autograde_preprocessors = {[_dotted(cls) for cls in preprocessors]!r}\n")


class TestAutogradeWithCourseExecute(nbgraders.TestNbGraderAutograde):
    """nbgrader's ``TestNbGraderAutograde`` (inherited), with the fixture above: the tests in
    :data:`EXECUTION_TESTS`."""


for _name in dir(nbgraders.TestNbGraderAutograde):
    if _name.startswith("test_") and _name not in EXECUTION_TESTS:
        setattr(TestAutogradeWithCourseExecute, _name, None)   # not collected


def test_every_execution_test_is_nbgraders():
    """The list above names tests nbgrader has (a renamed one would silently not run)."""
    assert set(EXECUTION_TESTS) <= set(dir(nbgraders.TestNbGraderAutograde))
