"""``make autograde [JOBS=n]``: ``nbgrader autograde`` for every submission, serially or in n processes.

Broken submissions need nothing from this module: the defences live in nbgrader's
own pipeline (``course/grader/submissions.py``, configured in ``nbgrader_config.py``), so
this is the same grading as ``nbgrader autograde`` and formgrader's button, and
``submitted/`` is only ever read.

With ``--jobs n`` the students are split into ``n`` groups, each graded by its own
``nbgrader autograde`` process that writes only its own students' folders in
``autograded/``.  How the gradebook takes the parallel writes depends on the database:

- a database server (PostgreSQL): the workers write straight into it.  The rows every
  worker would otherwise create on first use (the course and the students) are made
  before the workers start, so the workers never race to insert the same row; after
  that each worker touches only its own students' submissions.
- SQLite (one writer at a time): each worker grades against a private copy of the
  gradebook and the workers' rows are merged back in one transaction.  nbgrader's row
  ids are UUIDs, so rows from different workers never collide; a student's previous
  results are replaced, as ``autograde --force`` would.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course.grader.submissions import notes_in, release_folder
from course.instructor.nbgrader_cli import course_id, format_table, grade_table, gradebook_url, nbgrader_env

__all__ = ["GradingRun", "autograde", "merge_gradebooks", "submitted_students"]


def _sqlite_path(db_url: str) -> Path | None:
    return Path(db_url[len("sqlite:///"):]) if db_url.startswith("sqlite:///") else None


def _student_rows(table: str) -> str:
    """SQL selecting the rows of ``table`` that belong to the students in temp table ``who``."""
    submissions = "SELECT id FROM {db}.submitted_assignment WHERE student_id IN (SELECT id FROM who)"
    notebooks = f"SELECT id FROM {{db}}.submitted_notebook WHERE assignment_id IN ({submissions})"
    return {
        "student": "id IN (SELECT id FROM who)",
        "submitted_assignment": "student_id IN (SELECT id FROM who)",
        "submitted_notebook": f"assignment_id IN ({submissions})",
        "grade": f"notebook_id IN ({notebooks})",
        "comment": f"notebook_id IN ({notebooks})",
    }[table]


def merge_gradebooks(target: Path, workers: list[tuple[Path, list[str]]]) -> None:
    """Copy each worker gradebook's rows for its students into ``target``.

    ``workers`` pairs a worker database with the students it graded.  Existing rows of
    those students in ``target`` are deleted first; all of it is one transaction.
    """
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA foreign_keys = OFF")
        with connection:
            for index, (database, students) in enumerate(workers):
                alias = f"w{index}"
                connection.execute(f"ATTACH DATABASE ? AS {alias}", (str(database),))
                connection.execute("DROP TABLE IF EXISTS temp.who")
                connection.execute("CREATE TEMP TABLE who (id TEXT PRIMARY KEY)")
                connection.executemany("INSERT INTO who VALUES (?)", [(s,) for s in students])
                # Children before parents when deleting, parents before children when copying.
                for table in ("comment", "grade", "submitted_notebook", "submitted_assignment"):
                    connection.execute(f"DELETE FROM main.{table} WHERE {_student_rows(table).format(db='main')}")
                for table in ("student", "submitted_assignment", "submitted_notebook", "grade", "comment"):
                    connection.execute(
                        f"INSERT OR REPLACE INTO main.{table} SELECT * FROM {alias}.{table} "
                        f"WHERE {_student_rows(table).format(db=alias)}")
        for index in range(len(workers)):
            connection.execute(f"DETACH DATABASE w{index}")
    finally:
        connection.close()


@dataclass
class GradingRun:
    """What :func:`autograde` did: wall time, students, notes left for students, failures."""

    seconds: float
    students: list[str]
    notes: dict[str, list[str]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)   # students nbgrader could not grade at all
    log: str = ""                                      # nbgrader's output when something failed


def submitted_students(root: Path, assignment: str) -> list[str]:
    """Students whose ``submitted/<student>/<assignment>`` folder holds at least one notebook.

    nbgrader does not see a folder without a notebook: for it, and in formgrader and
    ``nbgrader export`` (score 0), that student made no submission.
    """
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}")
                  if p.is_dir() and any(p.glob("*.ipynb")))


def _nbgrader_autograde(root: Path, assignment: str, args: list[str], env: dict[str, str],
                        log: Path) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "nbgrader"), "autograde", assignment, "--force", *args]
    with open(log, "w") as handle:
        return subprocess.Popen(command, cwd=root, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _prepare_server_gradebook(db_url: str, course: str, assignment: str, students: list[str]) -> None:
    """Create the rows that concurrent nbgrader processes would each try to insert."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course) as gradebook:  # creates the course row
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"assignment {assignment!r} is not in the gradebook {db_url}: "
                             "run `make release` (nbgrader generate_assignment) first") from None
        for student in students:
            gradebook.update_or_create_student(student)


def _grade(root: Path, assignment: str, groups: list[list[str]], extra: tuple[str, ...],
           env: dict[str, str], scratch: Path) -> tuple[list[int], str]:
    """Grade each group of students in its own process; returns exit codes and the failed logs.

    With a SQLite gradebook each process gets a private copy, merged back afterwards.
    """
    students = [s for group in groups for s in group]
    db_url = gradebook_url(root)
    database = _sqlite_path(db_url)
    if len(groups) > 1 and database is None:
        _prepare_server_gradebook(db_url, course_id(), assignment, students)
    if len(groups) > 1 and database is not None and not database.exists():
        raise SystemExit(f"no gradebook at {database}: run `make release` first")
    processes, copies = [], []
    for index, group in enumerate(groups):
        args = list(extra)
        if len(groups) > 1:
            others = [s for s in students if s not in group]
            args.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
            if database is not None:
                copy = scratch / f"worker{index}.db"
                shutil.copy2(database, copy)
                copies.append((copy, group))
                args.append(f"--CourseDirectory.db_url=sqlite:///{copy}")
        processes.append(_nbgrader_autograde(root, assignment, args, env, scratch / f"worker{index}.log"))
    codes = [process.wait() for process in processes]
    if copies:
        merge_gradebooks(database, copies)
    logs = "\n".join((scratch / f"worker{i}.log").read_text()[-6000:] for i, code in enumerate(codes) if code)
    return codes, logs


def _notes_and_failures(root: Path, assignment: str, students: list[str]) -> tuple[dict, list[str]]:
    expected = sorted(p.name for p in release_folder(assignment, root).glob("*.ipynb"))
    notes, failed = {}, []
    for student in students:
        folder = root / "autograded" / student / assignment
        graded = [folder / name for name in expected if (folder / name).exists()]
        if len(graded) < len(expected):
            failed.append(student)
        found = [note for path in graded for note in notes_in(nbformat.read(path, as_version=4))]
        if found:
            notes[student] = found
    return notes, failed


def autograde(root: Path, assignment: str, jobs: int = 1, extra_args: tuple[str, ...] = ()) -> GradingRun:
    """Grade every submission of ``assignment`` under ``root`` with ``jobs`` nbgrader processes.

    Returns the time taken, the students, the grading notes found in the autograded
    notebooks and the students nbgrader could not grade at all (none, unless the
    course itself is broken).
    """
    start = time.perf_counter()
    students = submitted_students(root, assignment)
    jobs = max(1, min(jobs, len(students)))
    groups = [students[i::jobs] for i in range(jobs)]
    with tempfile.TemporaryDirectory(prefix="autograde-") as scratch:
        codes, log = _grade(root, assignment, groups, extra_args, nbgrader_env(root), Path(scratch))
    notes, failed = _notes_and_failures(root, assignment, students)
    return GradingRun(time.perf_counter() - start, students, notes, failed, log if any(codes) else "")


def main() -> None:
    parser = argparse.ArgumentParser(description="Autograde every submission, optionally in parallel.")
    parser.add_argument("assignment", nargs="?", default="ex01_backprop")
    parser.add_argument("--jobs", type=int, default=1, help="number of grading processes")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    root = args.root.resolve()
    run = autograde(root, args.assignment, args.jobs)
    print(format_table(grade_table(gradebook_url(root), args.assignment)))
    for student, notes in run.notes.items():
        for note in notes:
            print(f"note for {student}: {note}")
    print(f"\nautograded {len(run.students)} submission(s) with {max(args.jobs, 1)} job(s) "
          f"in {run.seconds:.1f} s")
    if run.log:
        print(f"\nnbgrader reported errors:\n{run.log}", file=sys.stderr)
    if run.failed:
        raise SystemExit(f"not graded: {', '.join(run.failed)}")


if __name__ == "__main__":
    main()
