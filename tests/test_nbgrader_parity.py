"""nbgrader's own autograde tests, run with the course's execution step in place of nbgrader's.

``course.grading_kernel.SandboxedExecute`` replaces nbgrader's ``Execute`` in the
course's ``c.Autograde.autograde_preprocessors``.  nbgrader 0.9.6 ships the tests of
its execution step as autograde application tests (``nbgrader/tests/apps/
test_nbgrader_autograde.py``): each writes a small course with a configuration of its
own and runs ``nbgrader autograde`` in this process.  Here every one of them runs with
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

from course.grading_kernel import SandboxedExecute

pytestmark = pytest.mark.nbgrader

# nbgrader's tests that do not run its execution step at all (help and argument errors,
# file permissions, timestamps and late penalties) are left to nbgrader's own suite.
NOT_ABOUT_EXECUTION: tuple[str, ...] = ()  # PLACEHOLDER


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
    """Every test of nbgrader's ``TestNbGraderAutograde`` (inherited), with the fixture above."""


for _name in NOT_ABOUT_EXECUTION:
    setattr(TestAutogradeWithCourseExecute, _name, None)
