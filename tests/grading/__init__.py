"""The grading pipeline: grader, in-process grader, nbgrader runs, parity, verdict, integrity, gradebook, report."""
