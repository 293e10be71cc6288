"""Instructor tooling: run nbgrader steps, make synthetic students, grade in parallel, report.

Nothing here runs in a student's kernel (``due_dates.warn_if_late`` runs in
nbgrader's Validate, in the student's server).  ``python -m course.instructor.demo`` and
``python -m course.instructor.autograde`` back the ``make demo`` / ``make autograde``
targets; the tests drive the same functions in temporary courses.

- ``nbgrader_cli`` – run nbgrader commands for a course root, read its gradebook;
- ``autograde``    – ``make autograde``: optionally parallel, into one gradebook;
- ``synthetic``    – synthetic students (full, blank, partly wrong submissions);
- ``demo``         – ``make demo``: the whole pipeline on synthetic students;
- ``report``       – ``make report``: what the class got wrong, from ``autograded/`` and the gradebook;
- ``planted``      – a synthetic class with a planted distribution of misconceptions (tests the report);
- ``values``       – ``python -m course.instructor.values STUDENT``: a student's notebook-1 values;
- ``due_dates``    – the gradebook's due date in the release headers and Validate, late notes, extensions;
- ``solutions``    – ``make solutions``: release the solutions through the exchange after the due date;
- ``notebook_metadata`` – released notebooks carry the kernel's language_info (they open unmodified).
"""
