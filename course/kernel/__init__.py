"""What runs in a student's kernel, and in the grading kernel.

Everything under ``course.kernel`` is student-side: it imports only numpy, IPython and
the course's student-side modules (course.kernel.messages, course.kernel.coerce, course.kernel.calls, …),
never the grader's judges (``course.checks``), oracles (``course.oracles``), the grader
(``course.grader``), instructor tools or nbgrader.  ``tests/checks/test_kernel_side.py`` keeps
it so, and the grading sandbox shows a kernel nothing else of the course
(:data:`course.sandbox.bubblewrap.STUDENT_SIDE`).  Nothing here knows an answer: in
grading, the kernel only *reports* what the student's code gives and the grader judges
the report outside it.

- ``result``  – the :class:`~course.kernel.result.Result` every judge returns and
  ``reporting``, which makes a notebook's ``check_*`` from a ``judge_*``;
- ``checks``  – the visible checks the notebooks' test cells call (one module per notebook);
- ``report``  – runs the grader's plan for a test cell and publishes what came back;
- ``codec``   – values in a report, as exact JSON and back;
- ``calls``   – calling student code so that its warnings, prints to stderr, exits or
  endless loops cannot spoil a test (and the grader can record or replay the calls);
- ``autodiff`` – noticing a library's automatic differentiation by what runs;
- ``coerce``   – turning whatever a student produced into float64 numbers;
- ``pristine`` – builtins and numpy as they were before any student code ran;
- ``messages`` – how a failed check reads (``GradingError``, number formatting);
- ``misconceptions`` – every misconception id a check may name, declared once with the
  label the class report shows beside it;
- ``due_date`` – the due date a released notebook carries, and Validate's late notice;
- ``environment`` – the environment every kernel of the course starts with.
"""
