"""``python -m course.instructor.values STUDENT_ID``: the notebook-1 values that student was given.

Prints JSON ``{"x", "y", "W1", "b1", "W2", "b2"}`` — what a teaching assistant needs to
mark the shown work by hand, and exactly what the grader writes into that student's
notebook.  Settings come from ``nbgrader_config.py`` in the current directory (the
course root) and the environment, as for nbgrader itself; with per-student values
switched off every student gets the exercise's values.

    python -m course.instructor.values alice
    python -m course.instructor.values alice bob --assignment ex01_backprop
"""

from __future__ import annotations

import argparse
import json
import sys

from course.exercise.values import DEFAULT_ASSIGNMENT, load_settings

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.instructor.values", description=__doc__.splitlines()[0])
    parser.add_argument("students", nargs="+", metavar="STUDENT_ID")
    parser.add_argument("--assignment", default=DEFAULT_ASSIGNMENT,
                        help=f"assignment id (part of the derivation; default {DEFAULT_ASSIGNMENT})")
    args = parser.parse_args(argv)
    settings = load_settings()
    results = {student: settings.values_for(student, args.assignment).as_dict() for student in args.students}
    if len(args.students) == 1:
        print(json.dumps(results[args.students[0]]))
    else:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
