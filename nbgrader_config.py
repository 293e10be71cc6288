"""nbgrader configuration for the Backprop by Hand course.

The repository root is the course root.  Everything that differs between a laptop and
a JupyterHub comes from the environment:

    NBGRADER_COURSE_ID     course id                   (default: backprop-by-hand)
    NBGRADER_DB_URL        gradebook database URL      (default: sqlite:///<root>/gradebook.db;
                           PostgreSQL: postgresql+psycopg2://user@host:port/db)
    NBGRADER_EXCHANGE      exchange root directory     (default: <root>/.exchange)
    NBGRADER_CELL_TIMEOUT  seconds per cell when grading (default: 120)
    COURSE_SANDBOX         0 grades without the sandbox (student code then runs with your rights)
    COURSE_SANDBOX_MEMORY_MB, COURSE_SANDBOX_PROCESSES, COURSE_SANDBOX_CPU_SECONDS
                           limits of one grading kernel (default: 4096 MiB, 128, 900 s)
    COURSE_SANDBOX_FILE_MB, COURSE_SANDBOX_WORK_MB
                           largest file one grading kernel may write, and what it may add
                           to its folders on the disk in all (default: 64 MiB, 256 MiB)
    COURSE_WARM_KERNELS    grading kernels started ahead with TensorFlow imported (default: 1)
    COURSE_GRADING_KEY_FILE    the grader's secret that hidden inputs are drawn from
                           (default: <root>/.grading-key, made on first use, mode 0600)
    COURSE_PER_STUDENT_VALUES  1: every student gets their own notebook-1 values (default: off)
    COURSE_VALUES_SALT     the instructor's salt for those values (default: empty)
    COURSE_TIMEZONE        time zone due dates are shown in (default: UTC; e.g. Europe/Berlin)
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

ROOT = Path(__file__).resolve().parent
# nbgrader loads this file from any working directory: the course package of ROOT comes
# first, also where an environment has the course installed (a hub's shared environment
# holds only the student side of the package; the grader and its checks live here).
if str(ROOT) in sys.path:
    sys.path.remove(str(ROOT))
sys.path.insert(0, str(ROOT))

from course.kernel.due_date import warn_if_late  # noqa: E402
from course.instructor.nbgrader_cli import course_id, gradebook_url  # noqa: E402
from course.kernel.environment import GRADING, set_defaults  # noqa: E402
from course.grader.submissions import add_missing_notebooks  # noqa: E402

# The grading kernel inherits this process's environment: silence TensorFlow's C++
# logging before any kernel starts, because nbgrader zeroes a test cell that writes
# anything to stderr.
set_defaults(GRADING)

# --- the course ------------------------------------------------------------------
c.CourseDirectory.course_id = course_id()
c.CourseDirectory.root = str(ROOT)
# SQLite by default; PostgreSQL as postgresql+psycopg2://user@host:port/db (a bare
# postgresql:// is read as psycopg2 too, see course/instructor/nbgrader_cli.py).
c.CourseDirectory.db_url = gradebook_url(ROOT)

EXCHANGE = os.environ.get("NBGRADER_EXCHANGE")
if EXCHANGE is None:
    # A laptop course keeps its exchange inside the course.  nbgrader never creates the
    # exchange root, and formgrader greets the instructor with a warning (and no release
    # or collect buttons) while it is missing.  A shared exchange (NBGRADER_EXCHANGE) is
    # the administrator's to create, with the permissions nbgrader documents.
    EXCHANGE = str(ROOT / ".exchange")
    os.makedirs(EXCHANGE, exist_ok=True)
c.Exchange.root = EXCHANGE
c.Exchange.path_includes_course = True

# --- generating the student version -----------------------------------------------
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# nbgrader's own list, after writing the assignment id into notebook 1's given cells
# (per-student values, course/grader/own_values.py), the due date into each header, and the
# kernel's language_info.
c.GenerateAssignment.preprocessors = [
    "course.grader.own_values.StampAssignment",
    "course.instructor.due_dates.ShowDueDate",  # the gradebook's due date under each title (below)
    # The kernel's language_info, which JupyterLab would otherwise write into an untouched
    # notebook on opening it, marking it modified (course/instructor/notebook_metadata.py).
    "course.instructor.notebook_metadata.KernelLanguageInfo",
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- executing notebooks (validate and autograde) ---------------------------------
c.Execute.timeout = int(os.environ.get("NBGRADER_CELL_TIMEOUT", "120"))
c.Execute.interrupt_on_timeout = True
c.Execute.kernel_name = "python3"
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:"]
# nbgrader fails a notebook whose outputs arrive later than this after a cell finished
# (it must: a missing error output would read as a passed test); nbclient's 4 s are too
# short on a busy grading machine.
c.Execute.iopub_timeout = 30

# The grading kernel runs in a bubblewrap sandbox (course/sandbox/bubblewrap.py): it sees
# its own notebook folder and the read-only environment, nothing else of the course,
# and no network.  Kernels are taken from a pool started ahead with the heavy modules
# imported (course/sandbox/kernels.py); each grades one notebook.
c.GradingSandbox.enabled = os.environ.get("COURSE_SANDBOX", "1").strip().lower() not in ("0", "off", "false", "no")
c.GradingSandbox.memory_mb = int(os.environ.get("COURSE_SANDBOX_MEMORY_MB", "4096"))
c.GradingSandbox.processes = int(os.environ.get("COURSE_SANDBOX_PROCESSES", "128"))
c.GradingSandbox.cpu_seconds = int(os.environ.get("COURSE_SANDBOX_CPU_SECONDS", "900"))
c.GradingSandbox.file_mb = int(os.environ.get("COURSE_SANDBOX_FILE_MB", "64"))
c.GradingSandbox.work_mb = int(os.environ.get("COURSE_SANDBOX_WORK_MB", "256"))
c.GradingSandbox.warm_kernels = int(os.environ.get("COURSE_WARM_KERNELS", "1"))

# A student who deleted a graded cell gets it back (scored as unanswered) instead of
# the notebook failing to grade.
c.OverwriteCells.add_missing_cells = True

# --- broken submissions (course/grader/submissions.py) ----------------------------------
# Every grading path (nbgrader autograde, formgrader's Autograde button, make autograde)
# runs nbgrader's Autograde converter, so the defences live in it: a notebook that is
# not valid JSON, missing, renamed, or that kills the kernel is graded (as the blank
# release notebook where nothing else can be graded) with a note the student reads in
# the feedback; stripped, duplicated or deleted graded cells are restored first.
c.Autograde.pre_convert_hook = add_missing_notebooks
c.Autograde.exporter_class = "course.grader.submissions.SubmissionExporter"
# nbconvert validates the whole notebook after every preprocessor (about twenty a
# notebook); once, after the last, raises the same errors at a tenth of the cost.
c.SubmissionExporter.optimistic_validation = True
c.Autograde.sanitize_preprocessors = [
    "course.sandbox.pool.StartWarmKernels",  # the warm kernels' imports start now (below)
    "course.grader.submissions.RepairGradedCells",
    "course.grader.own_values.StashShownValues",  # per-student values (below); before ClearOutput
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course.grader.gradebook.OverwriteCellsAtOnce",  # nbgrader's OverwriteCells, the cells read at once
    "course.grader.gradebook.CheckCellMetadataOnce",  # nbgrader's check, each distinct cell once
]

# Last line of defence against log noise that would zero a test cell.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(?m)^(WARNING: All log messages before absl::InitializeLog|"
    r"I0000|W0000|E0000|.*cuda|.*oneDNN|.*TensorFlow binary is optimized|"
    r".*tensorflow/core|.*absl::)"
)

# Long outputs (a print in a loop) are cut, so one submission cannot bloat the batch.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 30
c.LimitOutputSize.max_chars = 20_000  # and one very long line (course/grader/outputs.py)

# --- feedback -----------------------------------------------------------------------
# nbgrader restores hidden tests and mark schemes when it grades (formgrader shows
# them to the grader); strip them again from the HTML feedback the student reads.
# ShortTestErrors (course/grader/outputs.py) runs while the hidden tests are still in
# the sources: it needs them to find and remove any hidden test line from the outputs.
# nbconvert's HTML exporter, without its false "display_data_priority not recognized" warnings.
c.GenerateFeedback.exporter_class = "course.grader.outputs.FeedbackExporter"
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course.grader.outputs.ShortTestErrors",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "course.grader.feedback_page.UnmarkedTasks",  # "not marked yet" instead of "0.0 / 3.0"
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "course.grader.feedback_page.FeedbackStyle",  # long output lines wrap
]

# MathJax from the environment (jupyter-server-mathjax), not from a CDN: the course's
# share/jupyter comes first on JUPYTER_PATH, where nbconvert finds its mathjax.html.j2
# for the feedback pages and formgrader's grading view alike.
_SHARE = str(ROOT / "share" / "jupyter")
if _SHARE not in os.environ.get("JUPYTER_PATH", "").split(os.pathsep):
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (_SHARE, os.environ.get("JUPYTER_PATH")) if p)

# --- grading: the kernel reports, the grader judges ----------------------------------------
# Test cells only report what the student's code gives on inputs drawn from the course's
# grading key (<root>/.grading-key, or COURSE_GRADING_KEY_FILE); the verdict is reached here,
# in the nbgrader process, before nbgrader saves the scores (course/grader/judging.py).
# The integrity scan (course/grader/integrity_notes.py) only writes notes for the grader.
c.Autograde.autograde_preprocessors = [
    "course.grader.own_values.GradeWithOwnValues",  # per-student values (below); before the plans
    "course.grader.judging.ReportInsteadOfJudging",  # test cells report instead of judging
    "course.sandbox.kernels.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "course.grader.judging.JudgeReports",  # the grader judges each report, writes the outcome
    "nbgrader.preprocessors.LimitOutput",
    "course.grader.outputs.LimitOutputSize",
    "course.grader.integrity_notes.FlagTampering",
    # Test-cell errors become short messages and no output shows a hidden test line
    # (course/grader/outputs.py); outside the kernel, so student code cannot undo it.
    "course.grader.outputs.ShortTestErrors",
    "course.grader.gradebook.SaveAutoGradesAtOnce",  # nbgrader's SaveAutoGrades, one transaction a notebook
    "nbgrader.preprocessors.AssignLatePenalties",
    "course.instructor.due_dates.NoteLateSubmission",  # "Late submission: ..." atop a late notebook
    "course.grader.gradebook.CheckCellMetadataOnce",  # nbgrader's check, each distinct cell once
]

# --- per-student values (notebook 1) -----------------------------------------------------
# Off: everyone gets the exercise's values.  On: each student gets values derived from
# the course id, the assignment, their id and the salt (course/exercise/values.py); the grader
# writes the graded student's values into the notebook before it runs
# (course/grader/own_values.py).  `python -m course.instructor.values STUDENT_ID` prints them.
c.PerStudentValues.enabled = os.environ.get("COURSE_PER_STUDENT_VALUES", "0") == "1"
c.PerStudentValues.salt = os.environ.get("COURSE_VALUES_SALT", "")
# Pin a student's values (e.g. the ones they worked from by mistake), then regrade:
#   c.PerStudentValues.overrides = {"alice": {"x": 0.5, "y": 1, "W1": 0.8, "b1": 0.2, "W2": 0.6, "b2": 0.1}}
c.PerStudentValues.overrides = {}
# The grader's two preprocessors are in the lists above: StashShownValues keeps the values
# a submission recorded it showed (before ClearOutput), GradeWithOwnValues writes the
# student's values into the notebook (before Execute).

# --- due dates and late work (course/instructor/due_dates.py, course/kernel/due_date.py) ------
# The due date is nbgrader's: `nbgrader db assignment add ex01_backprop --duedate="2025-03-14
# 17:00 Europe/Berlin"` (or formgrader's edit dialog), then `make release`, which writes it
# under each notebook's title in this time zone, and into the notebook's metadata.
c.DueDates.timezone = os.environ.get("COURSE_TIMEZONE", "UTC")
# Validate (the button and `nbgrader validate`) says a submission made now will be late:
# an nbclient hook, acting only while nbgrader validates.
c.Execute.on_notebook_start = warn_if_late
# nbgrader records a submission after the due date (plus the student's extension) as late;
# its penalty: "none" (the default: only the flag and a note atop the graded notebook) or "zero".
c.AssignLatePenalties.plugin_class = "nbgrader.plugins.LateSubmissionPlugin"
c.LateSubmissionPlugin.penalty_method = "none"
# `make solutions` releases ex01_backprop_solutions after the due date; its grace period and
# FORCE=1 are Makefile variables (SOLUTIONS_AFTER=2d).
