"""Instructor tools: due dates, late work and solutions, ``make demo``."""
