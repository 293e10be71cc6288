"""``make autograde [JOBS=n]``: grade every submission, serially or across processes.

1. Submissions are copied to ``.grading/submitted`` and repaired there
   (:mod:`course.instructor.staging`); ``submitted/`` is only ever read.
2. ``nbgrader autograde`` grades the staged copies.  With ``--jobs n`` the students
   are split into ``n`` groups, each graded by its own process against a private copy
   of the gradebook (SQLite allows one writer at a time) and writing only its own
   students' folders in ``autograded/``; the workers' rows are then merged into the
   course gradebook in one transaction.  nbgrader's row ids are UUIDs, so rows from
   different workers never collide; a student's previous results are replaced, as
   ``autograde --force`` would.
3. A student nbgrader gave up on (a notebook that kills the kernel, say) is regraded
   notebook by notebook; what still fails is graded as the blank notebook, with a note
   the student reads in their feedback.  Every student ends with a score.
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

from .nbgrader_cli import format_table, grade_table, gradebook_url, nbgrader, nbgrader_env
from .staging import STAGING, replace_with_blank, stage_submissions

__all__ = ["GradingRun", "autograde", "merge_gradebooks"]


def _sqlite_path(db_url: str) -> Path:
    if not db_url.startswith("sqlite:///"):
        raise ValueError("parallel grading merges SQLite gradebooks; with a database server "
                         "run `nbgrader autograde` in several processes directly")
    return Path(db_url[len("sqlite:///"):])


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
    """What :func:`autograde` did: wall time, students, and the notes left for students."""

    seconds: float
    students: list[str]
    notes: dict[str, list[str]] = field(default_factory=dict)


def _fully_graded(root: Path, assignment: str, student: str) -> bool:
    expected = {p.name for p in (root / "release" / assignment).glob("*.ipynb")}
    graded = {p.name for p in (root / "autograded" / student / assignment).glob("*.ipynb")}
    return expected <= graded


def _grade_in_parallel(root: Path, assignment: str, students: list[str], jobs: int,
                       flags: tuple[str, ...], env: dict[str, str]) -> None:
    database = _sqlite_path(gradebook_url(root))
    if not database.exists():
        raise SystemExit(f"no gradebook at {database}: run `make release` first")
    groups = [students[i::jobs] for i in range(min(jobs, len(students)))]
    with tempfile.TemporaryDirectory(prefix="autograde-") as scratch:
        workers, processes = [], []
        for index, group in enumerate(groups):
            copy = Path(scratch) / f"worker{index}.db"
            shutil.copy2(database, copy)
            others = [s for s in students if s not in group]
            command = [str(Path(sys.executable).parent / "nbgrader"), "autograde", assignment, "--force",
                       f"--CourseDirectory.db_url=sqlite:///{copy}",
                       f"--CourseDirectory.student_id_exclude={','.join(others)}", *flags]
            log = open(Path(scratch) / f"worker{index}.log", "w")
            processes.append((subprocess.Popen(command, cwd=root, env=env, stdout=log,
                                               stderr=subprocess.STDOUT), log))
            workers.append((copy, group))
        for process, log in processes:
            process.wait()  # a failed student is handled after the merge, like in a serial run
            log.close()
        merge_gradebooks(database, workers)


def _isolate_crashes(root: Path, assignment: str, student: str, flags: tuple[str, ...],
                     env: dict[str, str]) -> list[str]:
    """Regrade a student nbgrader gave up on, one notebook at a time.

    A notebook that still cannot be graded (it kills the kernel, say) is replaced in
    the staging area by the blank release notebook with a note and graded again;
    returns the notes written.
    """
    notes = []
    staged = root / STAGING / student / assignment
    for release_notebook in sorted((root / "release" / assignment).glob("*.ipynb")):
        grade_one = ("autograde", assignment, "--force", f"--student={student}",
                     f"--notebook={release_notebook.stem}", *flags)
        nbgrader(root, *grade_one, env=env, check=False)
        if not (root / "autograded" / student / assignment / release_notebook.name).exists():
            text = (f"`{release_notebook.name}` could not be graded: it stopped the grading kernel (a crash, "
                    "`os._exit`, memory exhausted) or nbgrader failed on it, so it was graded as blank; "
                    "your file is kept for your instructor.")
            replace_with_blank(staged / release_notebook.name, release_notebook, text)
            notes.append(text)
            nbgrader(root, *grade_one, env=env, check=False)
    return notes


def autograde(root: Path, assignment: str, jobs: int = 1, extra_args: tuple[str, ...] = ()) -> GradingRun:
    """Grade every submission of ``assignment`` under ``root``.

    Submissions are staged (see :mod:`course.instructor.staging`) so ``submitted/`` is
    never modified; a student whose notebooks nbgrader cannot grade is regraded with
    the failing notebook replaced by a blank one, so every student gets a score.
    """
    start = time.perf_counter()
    env = nbgrader_env(root)
    notes = stage_submissions(root, assignment)
    students = sorted(notes)
    flags = (f"--CourseDirectory.submitted_directory={STAGING}", *extra_args)
    if jobs <= 1 or len(students) <= 1:
        nbgrader(root, "autograde", assignment, "--force", *flags, env=env, check=False)
    else:
        _grade_in_parallel(root, assignment, students, jobs, flags, env)
    for student in students:
        if not _fully_graded(root, assignment, student):
            notes[student].extend(_isolate_crashes(root, assignment, student, flags, env))
    return GradingRun(time.perf_counter() - start, students, {s: n for s, n in notes.items() if n})


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


if __name__ == "__main__":
    main()
