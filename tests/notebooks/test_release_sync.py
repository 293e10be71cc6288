"""release/ is exactly what nbgrader makes from source/, and both validate as they should."""

from __future__ import annotations

import json

import pytest

from conftest import ASSIGNMENT, RELEASE_DIR, copy_generated_course, read
from course.instructor.nbgrader_cli import nbgrader

pytestmark = pytest.mark.nbgrader


def _normalised(path) -> str:
    notebook = read(path)
    # The Python version of the machine that generated it (course/instructor/notebook_metadata.py).
    notebook.metadata.get("language_info", {}).pop("version", None)
    return json.dumps(notebook, sort_keys=True, indent=1)


@pytest.fixture(scope="module")
def generated(generated_course):
    """The session's generated course (read-only here: validate writes nothing)."""
    return generated_course


def _committed_due_date() -> dict | None:
    """The due date ``make release`` wrote into release/ from the instructor's gradebook, if any."""
    records = {json.dumps(read(p).metadata.get("course_due_date"), sort_keys=True) for p in RELEASE_DIR.glob("*.ipynb")}
    assert len(records) == 1, f"release/ notebooks disagree on the due date: {records}"
    return json.loads(records.pop())


@pytest.fixture(scope="module")
def generated_like_release(generated, tmp_path_factory):
    """The generated course, regenerated with release/'s due date when it has one (no gradebook
    here holds the instructor's due date: the release header shows it)."""
    due = _committed_due_date()
    if due is None:
        return generated
    from course.instructor.nbgrader_cli import nbgrader_env

    root = copy_generated_course(generated, tmp_path_factory.mktemp("due") / "course")
    env = nbgrader_env(root, {"COURSE_TIMEZONE": due["timezone"]})
    nbgrader(root, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due['utc']}", env=env)
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force", env=env)
    return root


def test_release_matches_generate_assignment(generated_like_release):
    fresh = generated_like_release / "release" / ASSIGNMENT
    assert sorted(p.name for p in fresh.glob("*.ipynb")) == sorted(p.name for p in RELEASE_DIR.glob("*.ipynb"))
    for path in sorted(fresh.glob("*.ipynb")):
        assert _normalised(RELEASE_DIR / path.name) == _normalised(path), (
            f"release/{ASSIGNMENT}/{path.name} is stale: run `make release` and commit it")


def test_source_validates(generated):
    result = nbgrader(generated, "validate", *(str(p) for p in sorted(
        (generated / "source" / ASSIGNMENT).glob("*.ipynb"))), check=False)
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr
    assert "failed" not in result.stdout.lower() and "error" not in result.stdout.lower(), result.stdout


def test_blank_release_fails_its_tests(generated):
    notebooks = sorted((generated / "release" / ASSIGNMENT).glob("*.ipynb"))
    result = nbgrader(generated, "validate", "--invert", *(str(p) for p in notebooks), check=False)
    # --invert reports success per notebook when its tests fail on the blank version.
    assert result.stdout.count("Success! The notebook does not pass any tests.") == len(notebooks), \
        result.stdout + result.stderr
