"""Instructor tooling: run nbgrader steps, make synthetic students, grade in parallel.

Nothing here runs in a student's kernel.  ``python -m course.instructor.demo`` and
``python -m course.instructor.autograde`` back the ``make demo`` / ``make autograde``
targets; the tests drive the same functions in temporary courses.

- ``nbgrader_cli`` – run nbgrader commands for a course root, read its gradebook;
- ``staging``      – copy and repair submissions without touching ``submitted/``;
- ``autograde``    – ``make autograde``: staged, crash-isolated, optionally parallel;
- ``synthetic``    – synthetic students (full, blank, partly wrong submissions);
- ``demo``         – ``make demo``: the whole pipeline on synthetic students.
"""
