"""`make autograde JOBS=n`: a class graded across processes gets exactly the serial grades,
in one intact gradebook (per-worker gradebooks merged)."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import ASSIGNMENT, copy_generated_course
from course.instructor.autograde import autograde
from course.instructor.nbgrader_cli import grade_table
from course.instructor.synthetic import write_class

pytestmark = pytest.mark.nbgrader
NOTEBOOK = "01_paper_calculation"


def _grade_class(generated_course, base, jobs: int):
    root = copy_generated_course(generated_course, base / f"jobs{jobs}", notebooks=(NOTEBOOK,))
    kinds = ["full", "partly_wrong", "blank", "full", "partly_wrong"]
    write_class(root, ASSIGNMENT, {f"s{i}_{kind}": kind for i, kind in enumerate(kinds)})
    autograde(root, ASSIGNMENT, jobs=jobs)
    db = root / "gradebook.db"
    rows = grade_table(f"sqlite:///{db}", ASSIGNMENT)
    with sqlite3.connect(db) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        per_cell = sorted(connection.execute(
            "SELECT sa.student_id, bc.name, g.auto_score FROM grade g "
            "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
            "JOIN base_cell bc ON g.cell_id = bc.id").fetchall())
        submissions = connection.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0]
    return rows, per_cell, integrity, submissions


def test_parallel_grades_equal_serial_grades(generated_course, tmp_path):
    serial, serial_cells, _, _ = _grade_class(generated_course, tmp_path, jobs=1)
    parallel, parallel_cells, integrity, submissions = _grade_class(generated_course, tmp_path, jobs=2)
    assert integrity == "ok" and submissions == 5
    assert [(r.student, r.code_score, r.max_score) for r in parallel] == \
        [(r.student, r.code_score, r.max_score) for r in serial]
    assert parallel_cells == serial_cells and len(serial_cells) > 5 * 14
    scores = {r.student: r.code_score for r in serial}
    assert scores["s0_full"] > scores["s1_partly_wrong"] > scores["s2_blank"] == 0
