"""Broken submissions are graded by nbgrader's own pipeline (course/grader/submissions.py).

Plain ``nbgrader autograde`` and formgrader's in-process API grade a batch holding each
kind of broken submission: every student gets a recorded grade and a note they read
in their feedback, the batch completes, and ``submitted/`` is never modified.
"""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ASSIGNMENT, copy_generated_course, folder_checksums, read, visible_text
from course.grader.cells import grade_id, is_code_answer
from course.instructor.autograde import merge_gradebooks
from course.instructor.nbgrader_cli import grade_table, nbgrader
from course.instructor.synthetic import autograded_points, blank_submission, full_submission
from course.grader.submissions import notes_in, restore_graded_cells
from support.robustness_cases import Case, paper_cases, write_submissions

NOTEBOOK = "01_paper_calculation"
BROKEN = ("b_invalid_json", "b_kernel_crash", "b_duplicated_cell", "b_stripped_metadata",
          "b_renamed", "b_missing", "b_deleted_cells")


@pytest.fixture(scope="module")
def plain_batch(generated_course, tmp_path_factory):
    """A notebook-1 course whose broken submissions were graded by plain ``nbgrader autograde``."""
    root = copy_generated_course(generated_course, tmp_path_factory.mktemp("plain") / "course", notebooks=(NOTEBOOK,))
    source, release = root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    answers = tuple(grade_id(c) for c in read(source).cells if is_code_answer(c))
    cases = [c for c in paper_cases(f"{NOTEBOOK}.ipynb", answers) if c.student in BROKEN]
    assert sorted(c.student for c in cases) == sorted(BROKEN)
    honest = Case("honest", lambda full, blank: {f"{NOTEBOOK}.ipynb": nbformat.writes(full).encode()}, ())
    write_submissions(root / "submitted", ASSIGNMENT, [*cases, honest], full_submission(source, release),
                      blank_submission(release))
    before = folder_checksums(root / "submitted")
    result = nbgrader(root, "autograde", ASSIGNMENT, check=False)
    feedback = nbgrader(root, "generate_feedback", ASSIGNMENT, check=False)
    return {"root": root, "cases": [*cases, honest], "before": before, "result": result, "feedback": feedback,
            "points": autograded_points(source),
            "scores": {r.student: r for r in grade_table(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)}}


def test_plain_nbgrader_completes_the_batch_and_leaves_submitted_alone(plain_batch):
    result = plain_batch["result"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert plain_batch["feedback"].returncode == 0, plain_batch["feedback"].stderr[-3000:]
    assert folder_checksums(plain_batch["root"] / "submitted") == plain_batch["before"]


@pytest.mark.parametrize("student", [*BROKEN, "honest"])
def test_plain_nbgrader_records_a_grade_and_a_note(plain_batch, student):
    case = next(c for c in plain_batch["cases"] if c.student == student)
    points = plain_batch["points"]
    expected = 0.0 if case.lost_tests is None else sum(points.values()) - sum(points[t] for t in case.lost_tests)
    assert student in plain_batch["scores"], f"{student} ({case.why}) has no grade in the gradebook"
    assert plain_batch["scores"][student].code_score == pytest.approx(expected), case.why
    graded = read(plain_batch["root"] / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    notes = " ".join(notes_in(graded))
    page = visible_text(plain_batch["root"] / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html")
    for phrase in case.feedback:
        assert phrase in notes, f"{student}: no grading note saying {phrase!r}"
        assert phrase in page, f"{student}: feedback lacks {phrase!r}"
    if student == "honest":
        assert notes == "", "a good submission gets no note"


def test_formgrader_autograde_button_uses_the_same_defences(plain_batch):
    """formgrader's Autograde button calls NbGraderAPI.autograde, the same converter in process."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = plain_batch["root"]
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    target = root / "autograded" / "b_invalid_json" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    target.unlink()
    result = api.autograde(ASSIGNMENT, "b_invalid_json")
    assert result["success"], result.get("error") or result.get("log")
    assert "not valid JSON" in " ".join(notes_in(read(target)))
    assert folder_checksums(root / "submitted") == plain_batch["before"]


def _gradebook(path: Path, rows: dict[str, list[tuple]]) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE student (id TEXT PRIMARY KEY, first_name TEXT)")
        db.execute("CREATE TABLE submitted_assignment (id TEXT PRIMARY KEY, student_id TEXT)")
        db.execute("CREATE TABLE submitted_notebook (id TEXT PRIMARY KEY, assignment_id TEXT)")
        db.execute("CREATE TABLE grade (id TEXT PRIMARY KEY, notebook_id TEXT, auto_score REAL)")
        db.execute("CREATE TABLE comment (id TEXT PRIMARY KEY, notebook_id TEXT)")
        for table, values in rows.items():
            for value in values:
                db.execute(f"INSERT INTO {table} VALUES ({','.join('?' * len(value))})", value)


def test_merge_gradebooks_replaces_each_workers_students(tmp_path):
    main, worker = tmp_path / "main.db", tmp_path / "w.db"
    _gradebook(main, {"student": [("ann", None), ("ben", None)],
                      "submitted_assignment": [("sa-old", "ann"), ("sa-ben", "ben")],
                      "submitted_notebook": [("sn-old", "sa-old"), ("sn-ben", "sa-ben")],
                      "grade": [("g-old", "sn-old", 0.0), ("g-ben", "sn-ben", 7.0)],
                      "comment": [("c-old", "sn-old")]})
    _gradebook(worker, {"student": [("ann", None), ("ben", None)],
                        "submitted_assignment": [("sa-new", "ann"), ("sa-ben-w", "ben")],
                        "submitted_notebook": [("sn-new", "sa-new"), ("sn-ben-w", "sa-ben-w")],
                        "grade": [("g-new", "sn-new", 5.0), ("g-ben-w", "sn-ben-w", 1.0)],
                        "comment": [("c-new", "sn-new")]})
    merge_gradebooks(main, [(worker, ["ann"])])
    with sqlite3.connect(main) as db:
        grades = dict(db.execute("SELECT id, auto_score FROM grade").fetchall())
        comments = [row[0] for row in db.execute("SELECT id FROM comment")]
    assert grades == {"g-new": 5.0, "g-ben": 7.0}, "ann replaced by the worker's rows, ben untouched"
    assert comments == ["c-new"]


def _graded(grade_id: str, source: str, *, solution: bool) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": grade_id, "solution": solution,
                                                        "grade": not solution, "locked": not solution}})


def _release() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        _graded("setup", "import numpy as np", solution=False),
        _graded("answer_z1", "raise NotImplementedError()", solution=True),
        _graded("test_z1", "check('z1')", solution=False),
        _graded("answer_a1", "raise NotImplementedError()", solution=True),
        _graded("test_a1", "check('a1')", solution=False),
    ])


def _ids(notebook) -> list:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells]


def test_stripped_metadata_is_restored_around_the_students_answers():
    submission = _release()
    submission.cells[1].source, submission.cells[3].source = "z1 = 0.6", "a1 = 0.65"
    for c in submission.cells:
        c.metadata.clear()
    restored = restore_graded_cells(submission, _release())
    assert sorted(restored) == sorted(["setup", "answer_z1", "test_z1", "answer_a1", "test_a1"])
    assert _ids(submission) == ["setup", "answer_z1", "test_z1", "answer_a1", "test_a1"]
    assert submission.cells[1].source == "z1 = 0.6", "the student's answer is kept"


def test_deleted_answer_and_test_are_put_back_in_place():
    submission = _release()
    del submission.cells[3:5]
    assert restore_graded_cells(submission, _release()) == ["answer_a1", "test_a1"]
    assert _ids(submission) == ["setup", "answer_z1", "test_z1", "answer_a1", "test_a1"]
    assert restore_graded_cells(submission, _release()) == []


def test_duplicated_graded_cell_keeps_one_graded_copy():
    submission = _release()
    submission.cells.insert(2, copy.deepcopy(submission.cells[1]))
    assert restore_graded_cells(submission, _release()) == ["answer_z1 (copy)"]
    assert _ids(submission) == ["setup", "answer_z1", None, "test_z1", "answer_a1", "test_a1"]
