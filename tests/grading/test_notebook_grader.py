"""The in-process grader of the corpora scores test cells exactly as nbgrader does.

Probe cells cover every way a test cell can end: silent, printing, writing to stderr,
warning, raising, showing a value (nbgrader's partial credit) and TensorFlow-style log
lines that ``IgnorePattern`` removes.  The expected points follow nbgrader's documented
rule (error or stderr: zero; a numeric value: partial credit; otherwise full marks),
and the same cells go through a real ``nbgrader autograde`` to prove the agreement.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import make_course_copy
from course.instructor.nbgrader_cli import gradebook_url, nbgrader
from course.kernel.result import Outcome
from support.notebook_grader import grade, grade_cells

MAX_POINTS = 2.0

# grade_id -> (test cell source, points nbgrader awards out of MAX_POINTS)
PROBES = {
    "silent": ("assert 1 + 1 == 2", 2.0),
    "prints": ("print('\\u2713 fine')", 2.0),
    "stderr": ("import sys\nprint('note', file=sys.stderr)", 0.0),
    "runtime_warning": ("import warnings\nwarnings.warn('careful', RuntimeWarning)", 0.0),
    "numpy_overflow": ("import numpy as np\n_ = np.exp(np.float64(1000.0))", 0.0),
    "deprecation_in_cell": ("import warnings\nwarnings.warn('old', DeprecationWarning)", 2.0),
    "assertion": ("assert 1 == 2, 'wrong'", 0.0),
    "crash": ("1 / 0", 0.0),
    "system_exit": ("raise SystemExit(0)", 0.0),
    "partial_credit": ("print('half')\n0.5", 0.5),
    "text_value": ("'done'", 2.0),
    "suppressed_value": ("0.5;", 2.0),
    "ignored_log_line": ("import sys\nprint('I0000 00:00:00 cpu_feature_guard.cc: oneDNN ops on', file=sys.stderr)",
                         2.0),
}

PROBE_CELLS = [(grade_id, source, MAX_POINTS) for grade_id, (source, _) in PROBES.items()]


def _probe_notebook() -> nbformat.NotebookNode:
    cells = [new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": grade_id,
        "points": points, "schema_version": 3}}) for grade_id, source, points in PROBE_CELLS]
    return new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})


def test_in_process_scores_follow_nbgraders_rule():
    outcomes = grade_cells({"__name__": "__main__"}, PROBE_CELLS)
    assert {g: o.points for g, o in outcomes.items()} == {g: points for g, (_, points) in PROBES.items()}
    assert outcomes["stderr"].stderr == "note\n"
    assert "careful" in outcomes["runtime_warning"].stderr
    assert isinstance(outcomes["crash"].error, ZeroDivisionError)
    assert outcomes["prints"].message == "\u2713 fine\n"
    assert {g: o.outcome for g, o in outcomes.items()} == dict.fromkeys(PROBES)   # no check declared, no verdict
    assert outcomes.crashes == {g: repr(outcomes[g].error) for g in ("crash", "system_exit")}  # not "assertion"


def test_grades_name_the_graders_verdict_per_test():
    """A student who forgot the bias in z1 (notebook 1) and carried it forward."""
    from support.paper_corpus import student_chain

    grades = grade("01_paper_calculation", student_chain({"z1": lambda v: v["W1"] * v["x"]}))
    z1, a1 = grades["test_z1"], grades["test_a1"]
    assert (z1.points, z1.max, z1.outcome, z1.misconception) == (0.0, 1.0, Outcome.FAILED, "forgot_the_bias")
    assert "forgot to add the bias" in z1.message
    assert (a1.points, a1.outcome, a1.misconception) == (1.0, Outcome.CARRIED, None)
    assert grades.lost == {"test_z1"} and grades.points == grades.max - 1 == 13.0


def test_grade_fails_on_a_crashed_check_and_restores_what_the_student_rebound(tmp_path):
    import numpy as np

    path = tmp_path / "probe.ipynb"
    nbformat.write(_probe_notebook(), path)
    allclose = np.allclose
    with pytest.raises(AssertionError, match=r"test cells crashed: \{'crash': \"ZeroDivisionError"):
        grade(path, "import numpy\nnumpy.allclose = lambda *args, **kwargs: True\n")
    assert np.allclose is allclose


@pytest.mark.nbgrader
def test_in_process_scores_equal_nbgrader_autograde(tmp_path):
    course = make_course_copy(tmp_path / "course", notebooks=())
    source = course / "source" / "probe"
    source.mkdir(parents=True)
    nbformat.write(_probe_notebook(), source / "probe.ipynb")
    nbgrader(course, "generate_assignment", "probe", "--force")
    submitted = course / "submitted" / "someone" / "probe"
    shutil.copytree(course / "release" / "probe", submitted)
    nbgrader(course, "autograde", "probe", "--force")

    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(course)) as gradebook:
        by_nbgrader = {grade_id: gradebook.find_grade(grade_id, "probe", "probe", "someone").score
                       for grade_id in PROBES}
    in_process = grade_cells({"__name__": "__main__"}, PROBE_CELLS)
    assert {g: o.points for g, o in in_process.items()} == by_nbgrader
