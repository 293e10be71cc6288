"""Notebook 2 (code verification): its grader corpus and a real nbgrader run."""
