"""Backprop by Hand: helpers the notebooks and their tests import.

Nothing here is a solution to an exercise.  The package holds (a test keeps this
list equal to the package's modules):

- ``course.feedback``     – how a failed check is shown to a student (short, no traceback);
- ``course.coerce``       – turning whatever a student produced into float64 arrays;
- ``course.sandbox``      – calling student code so that its warnings, prints to stderr,
  exits or endless loops cannot spoil a test cell;
- ``course.oracles``      – independent reference gradients (TensorFlow, finite differences);
- ``course.networks``     – the given deep-network initialisation ``init_params``;
- ``course.checks``       – the graded checks, one module per notebook;
- ``course.widgets``      – the sliders and plots used in the notebooks and the demo;
- ``course.cells``        – what role a notebook cell plays for nbgrader (its metadata);
- ``course.integrity``    – a static scan of student code for attempts to subvert grading;
- ``course.nbgrader_ext`` – the course's nbgrader preprocessors (integrity, output size);
- ``course.submissions``  – defences against broken submissions inside nbgrader's autograde;
- ``course.values``       – notebook 1's given values, per student when the course turns it on;
- ``course.values_display`` – notebook 1's tables of given values and hints;
- ``course.values_grading`` – the nbgrader preprocessors that grade with the student's own values;
- ``course.instructor``   – instructor tooling: nbgrader steps, staging, parallel
  autograde, synthetic students (never runs in a student's kernel).
"""

__version__ = "1.0.0"
