"""Backprop by Hand: the course's package, split where the processes split.

Nothing here is a solution to an exercise.  The subpackages (a test keeps this list equal
to the package's contents):

- ``course.kernel``     – what runs in a student's kernel and in the grading kernel: the
  visible checks, the result protocol, the report of a test, calling student code
  safely; never imports the grader side, and holds no answer key;
- ``course.exercise``   – the exercise: its constants, the given values (per student when
  the course turns that on) and their tables, the deep network notebook 3 starts from;
- ``course.widgets``    – the sliders and plots of the notebooks and the classroom page;
- ``course.sandbox``    – the grading sandbox: bubblewrap, sandboxed and pre-warmed grading
  kernels, the warm-kernel server, its launcher, the disk watch;
- ``course.grader``     – the nbgrader process: the preprocessors of the autograde pipeline
  (broken submissions, per-student values, planning and judging each test's report,
  outputs, the gradebook steps, integrity notes) and the feedback page;
- ``course.checks``     – the grader's judges of hidden tests, one module per notebook;
- ``course.oracles``    – independent reference gradients (TensorFlow, finite differences);
- ``course.instructor`` – instructor tooling: nbgrader steps, parallel autograde, due dates,
  solutions, synthetic students, the class report.
"""

from course.kernel.environment import set_defaults as _set_defaults

__version__ = "1.0.0"

# TensorFlow reads these when it is first imported.  Every notebook imports ``course``
# before TensorFlow, so its start-up log lines never reach a cell's output (where
# nbgrader would zero a test cell for the stderr), however the server was started.
_set_defaults()
