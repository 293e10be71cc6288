"""Notebook 3 (gradient flow): its grader corpus, oracle and initialisation."""
