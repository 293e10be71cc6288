"""Backprop by Hand: helpers the notebooks and their tests import.

Nothing here is a solution to an exercise.  The package holds (a test keeps this
list equal to the package's modules):

- ``course.exercise``     – the exercise's constants: given values, names, tolerances, activations;
- ``course.feedback``     – how a failed check is shown to a student (short, no traceback);
- ``course.feedback_page`` – how the feedback HTML looks (unmarked parts, wrapping, no CDN);
- ``course.coerce``       – turning whatever a student produced into float64 arrays;
- ``course.pristine``     – builtins and numpy as they were before any student code ran;
- ``course.sandbox``      – calling student code so that its warnings, prints to stderr,
  exits or endless loops cannot spoil a test cell;
- ``course.autodiff``     – noticing a library's automatic differentiation by what runs
  while a student's function runs (never by names);
- ``course.oracles``      – independent reference gradients (TensorFlow, finite differences; grader side);
- ``course.networks``     – the given deep-network initialisation ``init_params``;
- ``course.kernel``       – what runs in a student's (and the grading) kernel: the result protocol
  and the visible checks, with no answer key (never imports the grader side);
- ``course.checks``       – the grader's judges, one module per notebook (grader side);
- ``course.widgets``      – the sliders and plots used in the notebooks and the demo;
- ``course.cells``        – what role a notebook cell plays for nbgrader (its metadata);
- ``course.kernel_env``   – the environment every kernel of the course starts with;
- ``course.integrity``    – judging student code by what it could change in grading;
- ``course.nbgrader_ext`` – the course's nbgrader preprocessors (integrity, output size);
- ``course.nbgrader_outputs`` – the preprocessor that keeps hidden test text out of every output;
- ``course.notebook_metadata`` – released notebooks carry the kernel's language_info (open unmodified);
- ``course.submissions``  – defences against broken submissions inside nbgrader's autograde;
- ``course.values``       – notebook 1's given values, per student when the course turns it on;
- ``course.values_display`` – notebook 1's tables of given values and hints;
- ``course.due_date``     – the due date a released notebook carries; Validate's late notice;
- ``course.values_grading`` – the nbgrader preprocessors that grade with the student's own values;
- ``course.grading_kernel`` – nbgrader's execution step with sandboxed, pre-warmed grading kernels;
- ``course.grading_sandbox`` – what a grading kernel may see, and the bubblewrap command that shows it;
- ``course.kernel_launcher`` – starts an IPython kernel inside the grading sandbox;
- ``course.kernel_zygote``   – the fork server that keeps warm grading kernels with the heavy modules imported;
- ``course.disk_watch``     – the grader's watch on what a grading kernel writes to the host disk;
- ``course.kernel``       – what runs in a student's (and the grading) kernel: the report of a test;
- ``course.grader``       – the grader outside the kernel: plans each test's calls, judges the reports;
- ``course.instructor``   – instructor tooling: nbgrader steps, staging, parallel
  autograde, synthetic students (never runs in a student's kernel).
"""

from .kernel_env import set_defaults as _set_defaults

__version__ = "1.0.0"

# TensorFlow reads these when it is first imported.  Every notebook imports ``course``
# before TensorFlow, so its start-up log lines never reach a cell's output (where
# nbgrader would zero a test cell for the stderr), however the server was started.
_set_defaults()
