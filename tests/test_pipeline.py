"""The instructor pipeline end to end, in a temporary course and exchange.

generate → release → fetch and submit as three students → collect → autograde →
generate_feedback → export; scores are read through nbgrader's Gradebook API.
"""

from __future__ import annotations

import csv

import nbformat
import pytest

from conftest import ASSIGNMENT, SOURCE_DIR, copy_generated_course, hidden_test_lines, read, visible_text
from course.instructor.nbgrader_cli import grade_table, nbgrader, nbgrader_env
from course.instructor.synthetic import (
    SLIPS, autograded_points, blank_submission, full_submission, partly_wrong_submission,
)

pytestmark = pytest.mark.nbgrader
COURSE_ID = "backprop-by-hand"
STUDENTS = {"alice": "full", "bob": "blank", "carol": "partly_wrong"}


@pytest.fixture(scope="module")
def course(generated_course, tmp_path_factory):
    base = tmp_path_factory.mktemp("pipeline")
    root = copy_generated_course(generated_course, base / "course")
    exchange = base / "exchange"
    env = nbgrader_env(root, {"NBGRADER_EXCHANGE": str(exchange)})
    nbgrader(root, "release_assignment", ASSIGNMENT, "--force", env=env)

    release = root / "release" / ASSIGNMENT
    student_flags = [f"--course={COURSE_ID}", f"--Exchange.root={exchange}"]
    for student, kind in STUDENTS.items():
        home = base / "home" / student
        home.mkdir(parents=True)
        nbgrader(home, "fetch_assignment", ASSIGNMENT, *student_flags, env=env)
        fetched = home / ASSIGNMENT
        for path in sorted(fetched.glob("*.ipynb")):
            if kind == "full":
                notebook = full_submission(root / "source" / ASSIGNMENT / path.name, path)
            elif kind == "blank":
                notebook = blank_submission(path)
            else:
                notebook = partly_wrong_submission(root / "source" / ASSIGNMENT / path.name, path)
            nbformat.write(notebook, path)
        nbgrader(home, "submit", ASSIGNMENT, f"--student={student}", *student_flags, env=env)

    nbgrader(root, "collect", ASSIGNMENT, env=env)
    nbgrader(root, "autograde", ASSIGNMENT, "--force", env=env)
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", env=env)
    nbgrader(root, "export", env=env)
    assert release.exists()
    return root


@pytest.fixture(scope="module")
def scores(course):
    return {row.student: row for row in grade_table(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)}


def available_points() -> dict[str, float]:
    return {path.stem: sum(autograded_points(path).values()) for path in sorted(SOURCE_DIR.glob("*.ipynb"))}


def test_every_student_was_collected_and_graded(scores):
    assert sorted(scores) == sorted(STUDENTS)


def test_solution_earns_every_autograded_point(scores):
    assert scores["alice"].code_scores == pytest.approx(available_points())


def test_blank_release_earns_nothing(scores):
    assert scores["bob"].code_score == 0
    assert scores["bob"].max_code_scores == pytest.approx(available_points())


def test_partly_wrong_loses_exactly_its_slips(scores):
    expected = {}
    for path in sorted(SOURCE_DIR.glob("*.ipynb")):
        points = autograded_points(path)
        lost = sum(points[test] for slip in SLIPS.get(path.stem, ()) for test in slip.costs)
        expected[path.stem] = sum(points.values()) - lost
    assert any(SLIPS.values()), "the partly wrong student must make at least one slip"
    assert scores["carol"].code_scores == pytest.approx(expected)


def test_solution_test_cells_write_nothing_to_stderr(course):
    for path in sorted((course / "autograded" / "alice" / ASSIGNMENT).glob("*.ipynb")):
        for cell in read(path).cells:
            for output in cell.get("outputs", []):
                assert not (output.output_type == "stream" and output.name == "stderr"), \
                    f"{path.name}: stderr in a cell: {output.text[:300]}"
                assert output.output_type != "error", f"{path.name}: {output.get('ename')}"


def test_feedback_is_written_and_hides_hidden_tests(course):
    hidden_lines = hidden_test_lines(*sorted(SOURCE_DIR.glob("*.ipynb")))
    assert hidden_lines
    for student in STUDENTS:
        pages = sorted((course / "feedback" / student / ASSIGNMENT).glob("*.html"))
        assert [p.stem for p in pages] == sorted(available_points()), student
        for page in pages:
            text = visible_text(page)
            for marker in ("BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "BEGIN SOLUTION"):
                assert marker not in text, f"{student}/{page.name} shows {marker}"
            for line in hidden_lines:
                assert line not in text, f"{student}/{page.name} leaks hidden test line {line!r}"


def test_export_lists_every_student(course):
    with open(course / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["student_id"] for row in rows) == sorted(STUDENTS)
