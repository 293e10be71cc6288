"""Instructor tooling: run nbgrader steps, make synthetic students, grade in parallel.

Nothing here runs in a student's kernel.  ``python -m course.instructor.demo`` and
``python -m course.instructor.autograde`` back the ``make demo`` / ``make autograde``
targets; the tests drive the same functions in temporary courses.
"""
