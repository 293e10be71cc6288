"""Graded checks the hidden tests call, one module per notebook, all on one protocol.

- ``result``         – the :class:`~course.checks.result.Result` every ``judge_*`` returns
  (passed / passed by error carried forward / failed, misconception id, message) and
  ``reporting``, which makes the ``check_*`` a test cell calls from a ``judge_*``;

- ``paper``          – notebook 1, the hand calculation (error carried forward);
- ``verification``   – notebook 2, the numpy functions against TensorFlow;
- ``gradient_flow``  – notebook 3, the deep network and its gradient norms.
"""
