"""What runs in a student's (and the grading) kernel.

Everything under ``course.kernel`` is student-side: it imports only numpy, IPython and
the course's student-side modules (course.feedback, course.coerce, course.sandbox, …),
never the grader's judges (``course.checks``), oracles (``course.oracles``), instructor
tools or nbgrader.  ``tests/test_kernel_side.py`` keeps it so.

- ``result``  – the :class:`~course.kernel.result.Result` every judge returns and
  ``reporting``, which makes a notebook's ``check_*`` from a ``judge_*``;
- ``checks``  – the visible checks the notebooks' test cells call (one module per notebook).
"""
