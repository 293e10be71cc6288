"""The grader's judges, one module per notebook, all on one protocol (grader side).

The notebooks' test cells import the student-side checks (:mod:`course.kernel.checks`),
which judge the visible part without an answer key; the hidden tests are judged here,
by the grader, outside the student's process.  What both sides share (how a student's
function is called and read, the diagnoses and misconception tables, the visible judges
themselves) is imported from the student side, never the other way round.

- ``result``         – re-exports :mod:`course.kernel.result`: the ``Result`` every
  ``judge_*`` returns (passed / passed by error carried forward / failed, misconception
  id, message) and ``reporting``, which makes a ``check_*`` from a ``judge_*``;

- ``paper``          – notebook 1, the hand calculation (error carried forward);
- ``verification``   – notebook 2, the numpy functions against TensorFlow;
- ``gradient_flow``  – notebook 3, the deep network and its gradient norms.
"""
