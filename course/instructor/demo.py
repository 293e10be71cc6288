"""``make demo``: the whole instructor pipeline on three synthetic students, in a scratch course.

generate_assignment → (submissions written to submitted/) → autograde →
generate_feedback → export, then the grade table from the gradebook and the class
report (``reports/``, as ``make report`` writes it).  Everything runs
in a temporary copy of the course (config and ``source/`` only), with its own
gradebook and exchange, so the real course root — ``release/`` that students work in,
``gradebook.db``, ``grades.csv`` — is left exactly as it was.  ``--keep DIR`` runs in
``DIR`` instead and keeps it (feedback HTML, grades.csv) for a look afterwards;
``--notebooks NAME ...`` limits the demo to some notebooks (quicker).

Run from the course root: ``python -m course.instructor.demo ex01_backprop``.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

import nbformat

from course.grader.cells import is_autograder_test, is_marked_by_hand, points
from course.kernel.environment import overridden
from course.instructor.autograde import autograde
from course.instructor.nbgrader_cli import format_table, grade_table, gradebook_url, nbgrader
from course.instructor.report import collect, summary_text, write_report
from course.instructor.synthetic import write_class

__all__ = ["run_demo", "scratch_course", "points_split", "points_note", "STUDENTS"]

STUDENTS = {"demo_full": "full", "demo_blank": "blank", "demo_partly_wrong": "partly_wrong"}


def scratch_course(root: Path, destination: Path, assignment: str,
                   notebooks: list[str] | None = None) -> Path:
    """Copy what the pipeline reads from ``root`` — ``nbgrader_config.py``, ``share/`` and
    the assignment's source notebooks (those named in ``notebooks``, by stem, if given) —
    into ``destination`` (created); returns it."""
    source = destination / "source" / assignment
    source.mkdir(parents=True)
    shutil.copy2(root / "nbgrader_config.py", destination)
    if (root / "share").is_dir():  # the course's nbconvert template (MathJax without a CDN)
        shutil.copytree(root / "share", destination / "share")
    for notebook in sorted((root / "source" / assignment).glob("*.ipynb")):
        if notebooks is None or notebook.stem in notebooks:
            shutil.copy2(notebook, source / notebook.name)
    if not any(source.iterdir()):
        raise SystemExit(f"no notebook of {assignment} matches {notebooks}")
    return destination


@contextlib.contextmanager
def course_environment(course: Path) -> Iterator[None]:
    """Point nbgrader's gradebook and exchange at ``course`` for the duration (the
    instructor's own NBGRADER_DB_URL / NBGRADER_EXCHANGE may name the real ones)."""
    with overridden({"NBGRADER_DB_URL": f"sqlite:///{course / 'gradebook.db'}",
                     "NBGRADER_EXCHANGE": str(course / ".exchange")}):
        yield


def points_split(source_dir: Path) -> tuple[float, float]:
    """``(autograded, marked_by_hand)`` points of the notebooks in ``source_dir``, from
    their cells' nbgrader metadata."""
    auto = by_hand = 0.0
    for path in sorted(source_dir.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if is_autograder_test(cell):
                auto += points(cell)
            elif is_marked_by_hand(cell):
                by_hand += points(cell)
    return auto, by_hand


def points_note(source_dir: Path) -> str:
    """What the grade table's "max" is made of, and why the full solution does not reach it."""
    auto, by_hand = points_split(source_dir)
    return (f"max {auto + by_hand:g} = {auto:g} autograded + {by_hand:g} marked by hand in formgrader; "
            f"this demo marks nothing by hand, so the full solution scores {auto:g} "
            f"and 'manual?' says who still needs marking.")


def run_demo(course: Path, assignment: str) -> str:
    """Run the pipeline in the scratch ``course`` and return the grade table as text."""
    timings = {}
    with course_environment(course):
        start = time.perf_counter()
        nbgrader(course, "generate_assignment", assignment, "--force")
        timings["generate"] = time.perf_counter() - start
        write_class(course, assignment, STUDENTS)
        run = autograde(course, assignment)
        timings["autograde"] = run.seconds
        start = time.perf_counter()
        nbgrader(course, "generate_feedback", assignment, "--force")
        nbgrader(course, "export")
        timings["feedback+export"] = time.perf_counter() - start
        table = format_table(grade_table(gradebook_url(course), assignment))
        start = time.perf_counter()
        rows = collect(course, assignment)
        write_report(course, assignment, rows=rows)
        timings["report"] = time.perf_counter() - start
    summary = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
    return (f"{table}\n\n{points_note(course / 'source' / assignment)}\n({summary})\n\n"
            f"What the class got wrong (reports/, as `make report` writes it):\n{summary_text(rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="ex01_backprop")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (read only)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="run in DIR (must not exist) and keep it, instead of a temporary folder")
    parser.add_argument("--notebooks", nargs="+", metavar="NAME", help="only these notebooks (by stem)")
    args = parser.parse_args()
    root = args.root.resolve()
    if args.keep:
        course = scratch_course(root, args.keep.resolve(), args.assignment, args.notebooks)
        print(run_demo(course, args.assignment))
        print(f"The scratch course is in {course}: feedback/ and grades.csv are there.")
        return
    with tempfile.TemporaryDirectory(prefix="backprop-demo-") as scratch:
        course = scratch_course(root, Path(scratch) / "course", args.assignment, args.notebooks)
        print(run_demo(course, args.assignment))
    print("(Ran in a temporary copy of the course, now removed; `make demo KEEP=DIR` keeps one.)")


if __name__ == "__main__":
    main()
