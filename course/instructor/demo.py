"""``make demo``: the whole instructor pipeline on three synthetic students.

generate_assignment → (submissions written to submitted/) → autograde →
generate_feedback → export, then the grade table from the gradebook.  Run from the
course root: ``python -m course.instructor.demo ex01_backprop``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .autograde import autograde
from .nbgrader_cli import format_table, grade_table, gradebook_url, nbgrader
from .synthetic import write_class


def run_demo(root: Path, assignment: str) -> str:
    """Run the pipeline in ``root`` and return the grade table as text."""
    timings = {}
    start = time.perf_counter()
    nbgrader(root, "generate_assignment", assignment, "--force")
    timings["generate"] = time.perf_counter() - start
    write_class(root, assignment, {"demo_full": "full", "demo_blank": "blank",
                                   "demo_partly_wrong": "partly_wrong"})
    run = autograde(root, assignment)
    timings["autograde"] = run.seconds
    start = time.perf_counter()
    nbgrader(root, "generate_feedback", assignment, "--force")
    nbgrader(root, "export")
    timings["feedback+export"] = time.perf_counter() - start
    table = format_table(grade_table(gradebook_url(root), assignment))
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
