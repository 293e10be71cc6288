"""Backprop by Hand: helpers the notebooks and their tests import.

Nothing here is a solution to an exercise.  The package holds:

- ``course.feedback``  – how a failed check is shown to a student (short, no traceback);
- ``course.coerce``    – turning whatever a student produced into float64 arrays;
- ``course.sandbox``   – calling student code so that its warnings, prints to stderr,
  exits or endless loops cannot spoil a test cell;
- ``course.oracles``   – independent reference gradients (TensorFlow, finite differences);
- ``course.networks``  – the given deep-network initialisation ``init_params``;
- ``course.checks``    – the graded checks, one module per notebook;
- ``course.widgets``   – the sliders and plots used in the notebooks and the demo.
- ``course.values``    – notebook 1's given values: the exercise's, or each student's own
  (``values_display`` shows them in the notebook, ``values_grading`` grades with them).
"""

__version__ = "1.0.0"
