"""`make autograde JOBS=n`: a class graded across processes gets exactly the serial grades,
in one intact gradebook: SQLite (per-worker copies merged) and PostgreSQL (workers write
straight into the server), compared with the same class graded serially into SQLite."""

from __future__ import annotations

import csv

import pytest
import sqlalchemy

from conftest import ASSIGNMENT, copy_generated_course
from course.instructor.autograde import autograde
from course.instructor.nbgrader_cli import grade_table, nbgrader
from course.instructor.synthetic import write_class

pytestmark = pytest.mark.nbgrader
NOTEBOOK = "01_paper_calculation"
KINDS = ["full", "partly_wrong", "blank", "full", "partly_wrong"]

PER_CELL = sqlalchemy.text(
    "SELECT sa.student_id, bc.name, g.auto_score FROM grade g "
    "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
    "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
    "JOIN base_cell bc ON g.cell_id = bc.id")
COUNTS = {table: sqlalchemy.text(f"SELECT COUNT(*) FROM {table}")
          for table in ("student", "submitted_assignment", "submitted_notebook", "grade")}


def _grade_class(generated_course, base, jobs: int, db_url: str | None = None) -> dict:
    """Submit five synthetic students, autograde with ``jobs``, feedback and export."""
    root = copy_generated_course(generated_course, base / f"jobs{jobs}", notebooks=(NOTEBOOK,), db_url=db_url)
    db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NBGRADER_DB_URL", db_url)
        write_class(root, ASSIGNMENT, {f"s{i}_{kind}": kind for i, kind in enumerate(KINDS)})
        run = autograde(root, ASSIGNMENT, jobs=jobs)
        nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
        nbgrader(root, "export")
    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.connect() as connection:
            per_cell = sorted(tuple(row) for row in connection.execute(PER_CELL))
            counts = {table: connection.execute(query).scalar() for table, query in COUNTS.items()}
    finally:
        engine.dispose()
    with open(root / "grades.csv", newline="") as handle:
        exported = sorted((row["student_id"], float(row["score"])) for row in csv.DictReader(handle))
    return {"root": root, "run": run, "rows": grade_table(db_url, ASSIGNMENT), "per_cell": per_cell,
            "counts": counts, "exported": exported}


@pytest.fixture(scope="module")
def serial(generated_course, tmp_path_factory):
    return _grade_class(generated_course, tmp_path_factory.mktemp("serial"), jobs=1)


def _same_grades(parallel: dict, serial: dict) -> None:
    assert not parallel["run"].failed and not parallel["run"].log, parallel["run"].log
    assert [(r.student, r.code_score, r.score, r.max_score) for r in parallel["rows"]] == \
        [(r.student, r.code_score, r.score, r.max_score) for r in serial["rows"]]
    assert parallel["per_cell"] == serial["per_cell"]
    assert parallel["exported"] == serial["exported"]
    assert parallel["counts"] == serial["counts"]
    assert parallel["counts"]["submitted_assignment"] == len(KINDS)
    for student, _ in serial["exported"]:
        assert (parallel["root"] / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").exists()


def test_serial_grades_are_the_expected_ones(serial):
    assert len(serial["per_cell"]) > len(KINDS) * 14
    scores = {r.student: r.code_score for r in serial["rows"]}
    assert scores["s0_full"] == scores["s3_full"] > scores["s1_partly_wrong"] > scores["s2_blank"] == 0


def test_parallel_sqlite_grades_equal_serial_grades(generated_course, serial, tmp_path):
    parallel = _grade_class(generated_course, tmp_path, jobs=2)
    engine = sqlalchemy.create_engine(f"sqlite:///{parallel['root'] / 'gradebook.db'}")
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
    _same_grades(parallel, serial)


def test_parallel_postgres_grades_equal_serial_sqlite_grades(generated_course, serial, tmp_path, postgres_url):
    parallel = _grade_class(generated_course, tmp_path, jobs=2, db_url=postgres_url)
    assert not (parallel["root"] / "gradebook.db").exists(), "everything went to PostgreSQL"
    _same_grades(parallel, serial)
