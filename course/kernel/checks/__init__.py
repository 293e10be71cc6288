"""The visible checks the notebooks' test cells call, one module per notebook.

Each ``check_*``/``judge_*`` pair has the signature of the grader's judge of the same
name in :mod:`course.checks` and gives the same visible verdict, but knows no answer: no
oracle runs here, and the few expected values a visible check compares against (inputs
chosen away from notebook 1's values) are constants in :mod:`.expected`.  Called with
``hidden=True`` a check does nothing and returns None: hidden tests are judged by the
grader, outside the student's process.

Every check takes the student's objects (functions, answer values), except notebook 1's,
whose answers are variables by name: it takes the notebook's ``globals()`` as the
answers and reads only the declared names, by ``name in answers`` and ``answers[name]``
(and ``In``, the input history, to say why one is missing).
Student code is called only through :func:`course.kernel.calls.call_student`, so the
grader can replay every call and read from a report.

- ``paper``          – notebook 1 (one finite number per quantity);
- ``verification``   – notebook 2 (the numpy functions);
- ``gradient_flow``  – notebook 3 (the deep network and its gradient norms);
- ``two_layer``, ``network_case`` – how notebook 2's and notebook 3's functions are
  called, compared and diagnosed: shared with the grader's hidden judges, which import
  them (and judge a visible call with the visible check itself);
- ``expected``       – the visible cases' constants, from ``expected_tables`` (generated
  from the grader's oracles, checked by tests/checks/test_visible_expected.py).
"""
