"""What runs in a student's kernel, and in the grading kernel.

Everything under ``course.kernel`` is student-side: it imports only numpy, IPython and
the course's student-side modules (course.feedback, course.coerce, course.sandbox, …),
never the grader's judges (``course.checks``), oracles (``course.oracles``), the grader
(``course.grader``), instructor tools or nbgrader.  ``tests/test_kernel_side.py`` keeps
it so, and the grading sandbox shows a kernel nothing else of the course
(:data:`course.grading_sandbox.STUDENT_SIDE`).  Nothing here knows an answer: in
grading, the kernel only *reports* what the student's code gives and the grader judges
the report outside it.

- ``result``  – the :class:`~course.kernel.result.Result` every judge returns and
  ``reporting``, which makes a notebook's ``check_*`` from a ``judge_*``;
- ``checks``  – the visible checks the notebooks' test cells call (one module per notebook);
- ``report``  – runs the grader's plan for a test cell and publishes what came back;
- ``codec``   – values in a report, as exact JSON and back.
"""
