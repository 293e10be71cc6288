"""Instructor tooling: run nbgrader steps, make synthetic students, grade in parallel, report.

Nothing here runs in a student's kernel.  ``python -m course.instructor.demo`` and
``python -m course.instructor.autograde`` back the ``make demo`` / ``make autograde``
targets; the tests drive the same functions in temporary courses.

- ``nbgrader_cli`` – run nbgrader commands for a course root, read its gradebook;
- ``autograde``    – ``make autograde``: optionally parallel, into one gradebook;
- ``synthetic``    – synthetic students (full, blank, partly wrong submissions);
- ``demo``         – ``make demo``: the whole pipeline on synthetic students;
- ``report``       – ``make report``: what the class got wrong, from ``autograded/`` and the gradebook;
- ``planted``      – a synthetic class with a planted distribution of misconceptions (tests the report);
- ``values``       – ``python -m course.instructor.values STUDENT``: a student's notebook-1 values.
"""
