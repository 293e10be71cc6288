"""Staging repairs what it can in a copy and never touches submitted/."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from conftest import folder_checksums
from course.instructor.autograde import merge_gradebooks
from course.instructor.staging import STAGING, stage_submissions

ASSIGNMENT = "hw"


def _notebook(*grade_ids: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_code_cell(f"# {g}", metadata={"nbgrader": {"grade_id": g}}) for g in grade_ids])


def _course(tmp_path: Path) -> Path:
    release = tmp_path / "release" / ASSIGNMENT
    release.mkdir(parents=True)
    nbformat.write(_notebook("a1", "test_a1"), release / "one.ipynb")
    nbformat.write(_notebook("f1", "test_f1"), release / "two.ipynb")

    def submit(student: str, files: dict[str, str | nbformat.NotebookNode]) -> None:
        folder = tmp_path / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-25 10:00:00.000000 UTC")
        for name, content in files.items():
            if isinstance(content, str):
                (folder / name).write_text(content)
            else:
                nbformat.write(content, folder / name)

    submit("good", {"one.ipynb": _notebook("a1", "test_a1"), "two.ipynb": _notebook("f1", "test_f1")})
    submit("broken_json", {"one.ipynb": '{"cells": [', "two.ipynb": _notebook("f1", "test_f1")})
    submit("renamed", {"one.ipynb": _notebook("a1", "test_a1"), "two-Copy1.ipynb": _notebook("f1", "test_f1")})
    submit("missing", {"one.ipynb": _notebook("a1", "test_a1")})
    return tmp_path


def test_staging_repairs_copies_and_never_modifies_submitted(tmp_path):
    root = _course(tmp_path)
    before = folder_checksums(root / "submitted")
    notes = stage_submissions(root, ASSIGNMENT)
    assert folder_checksums(root / "submitted") == before

    staged = root / STAGING
    assert notes["good"] == []
    assert "could not be read" in notes["broken_json"][0] and "not valid JSON" in notes["broken_json"][0]
    repaired = nbformat.read(staged / "broken_json" / ASSIGNMENT / "one.ipynb", as_version=4)
    assert "Grading note" in repaired.cells[0].source and len(repaired.cells) == 3
    assert "two-Copy1.ipynb" in notes["renamed"][0]
    assert sorted(p.name for p in (staged / "renamed" / ASSIGNMENT).glob("*.ipynb")) == ["one.ipynb", "two.ipynb"]
    assert "missing" in notes["missing"][0] and (staged / "missing" / ASSIGNMENT / "two.ipynb").exists()
    for student in notes:
        assert (staged / student / ASSIGNMENT / "timestamp.txt").exists()


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
    from course.instructor.staging import restore_graded_cells

    submission = _release()
    submission.cells[1].source, submission.cells[3].source = "z1 = 0.6", "a1 = 0.65"
    for c in submission.cells:
        c.metadata.clear()
    restored = restore_graded_cells(submission, _release())
    assert sorted(restored) == sorted(["setup", "answer_z1", "test_z1", "answer_a1", "test_a1"])
    assert _ids(submission) == ["setup", "answer_z1", "test_z1", "answer_a1", "test_a1"]
    assert submission.cells[1].source == "z1 = 0.6", "the student's answer is kept"


def test_deleted_answer_and_test_are_put_back_in_place():
    from course.instructor.staging import restore_graded_cells

    submission = _release()
    del submission.cells[3:5]
    assert restore_graded_cells(submission, _release()) == ["answer_a1", "test_a1"]
    assert _ids(submission) == ["setup", "answer_z1", "test_z1", "answer_a1", "test_a1"]
    assert restore_graded_cells(submission, _release()) == []


def test_duplicated_graded_cell_keeps_one_graded_copy():
    from course.instructor.staging import restore_graded_cells

    submission = _release()
    submission.cells.insert(2, __import__("copy").deepcopy(submission.cells[1]))
    assert restore_graded_cells(submission, _release()) == ["answer_z1 (copy)"]
    assert _ids(submission) == ["setup", "answer_z1", None, "test_z1", "answer_a1", "test_a1"]
