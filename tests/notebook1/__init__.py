"""Notebook 1 (paper calculation): its grader corpus, real nbgrader runs, and the per-student values."""
