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


def _saved_grades(db_url: str, student: str, notebook: str) -> list[tuple]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        graded = gradebook.find_submission_notebook(notebook, ASSIGNMENT, student)
        return (sorted((g.name, g.auto_score, g.manual_score, g.needs_manual_grade) for g in graded.grades)
                + sorted(("comment " + c.name, c.auto_comment) for c in graded.comments))


def _forget_autograding(db_url: str, student: str, notebook: str) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        graded = gradebook.find_submission_notebook(notebook, ASSIGNMENT, student)
        for grade in graded.grades:   # the review flag flipped: the saver must set it again
            grade.auto_score, grade.needs_manual_grade = None, not grade.needs_manual_grade
        for comment in graded.comments:
            comment.auto_comment = "not saved yet"
        gradebook.db.commit()


def test_scores_saved_at_once_are_nbgraders_own(course, tmp_path, monkeypatch):
    """course.grader.gradebook.SaveAutoGradesAtOnce saves what nbgrader's SaveAutoGrades saves
    (scores, review flags, "No response." comments), and nothing if it stops half-way."""
    from nbgrader import utils
    from nbgrader.preprocessors import SaveAutoGrades

    from course.grader.gradebook import SaveAutoGradesAtOnce

    for student in STUDENTS:
        for path in sorted((course / "autograded" / student / ASSIGNMENT).glob("*.ipynb")):
            notebook = read(path)
            saved = {}
            for saver in (SaveAutoGrades, SaveAutoGradesAtOnce):
                db = tmp_path / f"{saver.__name__}.db"
                db.write_bytes((course / "gradebook.db").read_bytes())
                url = f"sqlite:///{db}"
                _forget_autograding(url, student, path.stem)
                resources = {"nbgrader": {"notebook": path.stem, "assignment": ASSIGNMENT, "student": student,
                                          "db_url": url}}
                saver().preprocess(notebook, resources)
                saved[saver] = _saved_grades(url, student, path.stem)
            assert saved[SaveAutoGradesAtOnce] == saved[SaveAutoGrades], (student, path.stem)
            # Scores and comments as the real autograde saved them (a task cell's review
            # flag is set when nbgrader records the submission, not by either saver).
            real = _saved_grades(f"sqlite:///{course / 'gradebook.db'}", student, path.stem)
            assert [row[:2] for row in saved[SaveAutoGrades]] == [row[:2] for row in real]

    # A failure after some cells: none of the notebook's scores are saved.
    url = f"sqlite:///{tmp_path / 'SaveAutoGradesAtOnce.db'}"
    _forget_autograding(url, "alice", path.stem)
    before = _saved_grades(url, "alice", path.stem)
    calls = []

    def fails_third_time(cell, log=None):
        calls.append(cell)
        if len(calls) == 3:
            raise RuntimeError("stopped half-way")
        return (1.0, 1.0)

    monkeypatch.setattr(utils, "determine_grade", fails_third_time)
    resources = {"nbgrader": {"notebook": path.stem, "assignment": ASSIGNMENT, "student": "alice", "db_url": url}}
    with pytest.raises(RuntimeError, match="half-way"):
        SaveAutoGradesAtOnce().preprocess(read(course / "autograded" / "alice" / ASSIGNMENT / path.name), resources)
    assert len(calls) == 3
    assert _saved_grades(url, "alice", path.stem) == before


def _tampered(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` with what OverwriteCells repairs: a locked test edited, points raised, a
    graded cell's type flipped, a graded cell deleted.  (Not a cell with a made-up grade id:
    nbgrader's own OverwriteCells fails on that when it adds missing cells;
    course.grader.submissions.RepairGradedCells runs first in grading.)"""
    cells = notebook.cells
    graded = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    tests = [c for c in graded if c.metadata.nbgrader.get("locked") and c.cell_type == "code"]
    tests[0].source = "assert True  # edited by the student"
    graded[0].metadata.nbgrader["points"] = 99
    answers = [c for c in cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "markdown"]
    if answers:
        answers[0].cell_type = "code"
        answers[0].outputs, answers[0].execution_count = [], None
    cells.remove(tests[-1])
    return notebook


def test_cells_overwritten_at_once_as_nbgrader_does(course):
    """course.grader.gradebook.OverwriteCellsAtOnce repairs a tampered submission exactly as
    nbgrader's OverwriteCells does (missing cells added back, as configured)."""
    import copy

    from nbgrader.preprocessors import OverwriteCells

    from course.grader.gradebook import OverwriteCellsAtOnce

    for path in sorted((course / "submitted" / "carol" / ASSIGNMENT).glob("*.ipynb")):
        tampered = _tampered(read(path))
        resources = {"nbgrader": {"notebook": path.stem, "assignment": ASSIGNMENT, "student": "carol",
                                  "db_url": f"sqlite:///{course / 'gradebook.db'}"}}
        repaired = {}
        for overwrite in (OverwriteCells, OverwriteCellsAtOnce):
            notebook, _ = overwrite(add_missing_cells=True).preprocess(copy.deepcopy(tampered), copy.deepcopy(resources))
            # Cell ids aside: a cell added back gets a random one.
            repaired[overwrite] = [{k: v for k, v in cell.items() if k != "id"} for cell in notebook.cells]
        assert repaired[OverwriteCellsAtOnce] == repaired[OverwriteCells], path.stem
        sources = [cell["source"] for cell in repaired[OverwriteCells]]
        assert not any("edited by the student" in source for source in sources)   # both really repaired it
        assert len(sources) == len(tampered.cells) + 1
