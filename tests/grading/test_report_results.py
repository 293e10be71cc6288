"""``make report`` reads each graded cell's record as a ``Result`` and shows each id's label.

A small autograded tree is written by hand (the gradebook's scores are given directly),
so this runs in the fast lane; tests/grading/test_class_report.py runs the real pipeline on a
planted class.  A garbled record never crashes the report: the score alone decides, as
for a cell without a record.
"""

from __future__ import annotations

import csv

import nbformat
import pytest

from course.instructor import report
from course.kernel.misconceptions import label
from course.kernel.result import RESULT_METADATA, Outcome, Result, failed_result, passed_result

ASSIGNMENT = "ex01_backprop"
NOTEBOOK = "01_paper_calculation"


def _cell(test: str, record=None, error: bool = False) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("check()")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": test, "points": 1}
    if record is not None:
        cell.metadata[RESULT_METADATA] = {"result": record}
    if error:
        cell.outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="x", traceback=[])]
    return cell


GARBLED = {
    "a list": [1, 2],
    "no outcome": {"test": "z1"},
    "an unknown outcome": {"test": "z1", "outcome": "great"},
    "an undeclared misconception": {"test": "z1", "outcome": "failed", "misconception": "forgot_to_add_the_bias_b1"},
    "a misconception that is no string": {"test": "z1", "outcome": "failed", "misconception": {"a": 1}},
    "a root that is no string": {"test": "z1", "outcome": "passed_ecf", "root": 3},
    "a test that is no string": {"test": None, "outcome": "passed"},
}


@pytest.mark.parametrize("what", sorted(GARBLED))
def test_a_garbled_record_counts_as_none(what):
    cell = _cell("test_z1", GARBLED[what])
    assert report._result(cell) is None
    assert report._outcome(report._result(cell), cell, 0.0, 1.0) == ("failed", "")
    assert report._outcome(report._result(cell), cell, 1.0, 1.0) == ("passed", "")


def test_metadata_that_is_no_mapping_counts_as_no_record():
    cell = _cell("test_z1", error=True)
    cell.metadata[RESULT_METADATA] = "garbled"
    assert report._result(cell) is None
    assert report._outcome(None, cell, 0.0, 1.0) == ("failed", "test_could_not_run")
    cell.outputs = "garbled"
    assert report._outcome(None, cell, 0.0, 1.0) == ("failed", "")


def test_a_record_is_read_as_the_result_the_grader_wrote():
    result = failed_result("dL_dz2", "", "forgot_the_sigmoid_derivative")
    assert report._result(_cell("test_dL_dz2", result.as_json())) == result
    carried = passed_result("dL_dW2", "", carried_from="dL_dz2")
    assert report._result(_cell("test_dL_dW2", carried.as_json())) == carried
    assert report._outcome(carried, _cell("t"), 1.0, 1.0) == ("passed_ecf", "")
    assert report._outcome(carried, _cell("t"), 0.0, 1.0) == ("failed", "score_lowered_by_hand")
    assert report._outcome(result, _cell("t"), 1.0, 1.0) == ("passed", "")
    assert report._outcome(result, _cell("t"), 0.0, 1.0) == ("failed", "forgot_the_sigmoid_derivative")


@pytest.fixture
def graded(tmp_path, monkeypatch):
    """Three students' autograded notebook 1 with a record per test cell (one garbled)."""
    cells = {
        "student_ann": [failed_result("dL_dz2", "", "forgot_the_sigmoid_derivative"), failed_result("z1", "", "grader_error")],
        "student_bob": [failed_result("dL_dz2", "", "forgot_the_sigmoid_derivative"), passed_result("z1", "")],
        "student_cat": [passed_result("dL_dz2", ""), {"test": "z1", "outcome": "failed", "misconception": "no_such_id"}],
    }
    scores = {}
    for student, records in cells.items():
        notebook = nbformat.v4.new_notebook()
        for record, test in zip(records, ("test_dL_dz2", "test_z1")):
            notebook.cells.append(_cell(test, record.as_json() if isinstance(record, Result) else record))
            passed = isinstance(record, Result) and record.passed
            scores[(student, NOTEBOOK, test)] = (1.0 if passed else 0.0, 1.0)
        path = tmp_path / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    monkeypatch.setattr(report, "_scores", lambda db_url, assignment: scores)
    return tmp_path


def test_the_report_counts_results_and_labels_each_id(graded):
    rows = report.collect(graded, ASSIGNMENT, db_url="sqlite://")
    got = {(r.student, r.test): (r.outcome, r.misconception) for r in rows}
    assert got == {("student_ann", "test_dL_dz2"): ("failed", "forgot_the_sigmoid_derivative"),
                   ("student_ann", "test_z1"): ("failed", "grader_error"),
                   ("student_bob", "test_dL_dz2"): ("failed", "forgot_the_sigmoid_derivative"),
                   ("student_bob", "test_z1"): ("passed", ""),
                   ("student_cat", "test_dL_dz2"): ("passed", ""),
                   ("student_cat", "test_z1"): ("failed", "")}      # garbled: the score alone
    paths = report.write_report(graded, ASSIGNMENT, rows=rows)
    with open(paths["misconceptions"], newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["notebook", "test", "outcome", "misconception", "students", "label"]
    labelled = {r["misconception"]: (r["students"], r["label"]) for r in table if r["outcome"] == "failed"}
    assert labelled["forgot_the_sigmoid_derivative"] == ("2", label("forgot_the_sigmoid_derivative"))
    assert labelled["grader_error"] == ("1", label("grader_error")) and labelled[""] == ("1", "")
    assert "sigmoid derivative" in label("forgot_the_sigmoid_derivative")

    page = paths["html"].read_text()
    common, others = page.split("<h2>Most common misconceptions</h2>")[1].split("<h2>Wrong for other reasons</h2>")
    assert "forgot_the_sigmoid_derivative" in common and "grader_error" not in common
    assert label("forgot_the_sigmoid_derivative").replace("'", "&#x27;") in common
    assert "grader_error" in others and "forgot_the_sigmoid_derivative" not in others
    summary = report.summary_text(rows)
    assert "forgot_the_sigmoid_derivative (" in summary and not any(
        student in page for student in ("student_ann", "student_bob", "student_cat"))


def test_outcomes_of_the_report_are_the_results():
    assert set(report.OUTCOMES) == {*(o.value for o in Outcome), "not_submitted"}
