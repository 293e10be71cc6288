"""``make demo``: the whole instructor pipeline on three synthetic students.

generate_assignment → (submissions written to submitted/) → autograde →
generate_feedback → export, then the grade table from the gradebook.  Run from the
course root: ``python -m course.instructor.demo ex01_backprop``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from .autograde import autograde
from .nbgrader_cli import format_table, grade_table, nbgrader
from .synthetic import blank_submission, full_submission, partly_wrong_submission, write_submission

STUDENTS = ("demo_full", "demo_blank", "demo_partly_wrong")


def write_synthetic_class(root: Path, assignment: str) -> None:
    """Write the three synthetic students' submissions into ``root/submitted``."""
    source = root / "source" / assignment
    release = root / "release" / assignment
    makers = {
        "demo_full": lambda nb: full_submission(source / nb, release / nb),
        "demo_blank": lambda nb: blank_submission(release / nb),
        "demo_partly_wrong": lambda nb: partly_wrong_submission(source / nb, release / nb),
    }
    names = sorted(path.name for path in source.glob("*.ipynb"))
    for student, make in makers.items():
        write_submission(root / "submitted", student, assignment,
                         {Path(name).stem: make(name) for name in names})


def run_demo(root: Path, assignment: str) -> str:
    """Run the pipeline in ``root`` and return the grade table as text."""
    timings = {}
    start = time.perf_counter()
    nbgrader(root, "generate_assignment", assignment, "--force")
    timings["generate"] = time.perf_counter() - start
    write_synthetic_class(root, assignment)
    start = time.perf_counter()
    run = autograde(root, assignment)
    timings["autograde"] = run.seconds
    start = time.perf_counter()
    nbgrader(root, "generate_feedback", assignment, "--force")
    nbgrader(root, "export")
    timings["feedback+export"] = time.perf_counter() - start
    db_url = os.environ.get("NBGRADER_DB_URL", f"sqlite:///{root / 'gradebook.db'}")
    table = format_table(grade_table(db_url, assignment))
    summary = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
    return f"{table}\n\n({summary}; feedback in feedback/, grades in grades.csv)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="ex01_backprop")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    print(run_demo(args.root.resolve(), args.assignment))


if __name__ == "__main__":
    main()
