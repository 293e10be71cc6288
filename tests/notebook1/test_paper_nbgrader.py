"""Notebook 1 through real nbgrader: one generate + one autograde of three corpus students.

The in-process corpus (test_paper_checks.py) runs the same test cells; this run proves
the notebook survives nbgrader itself: generate_assignment, a real grading kernel
(``%matplotlib widget``, NBGRADER_EXECUTION), scores read back through the Gradebook API.
"""

from __future__ import annotations

import nbformat
import pytest

from conftest import ASSIGNMENT, copy_generated_course, folder_checksums
from course.instructor.nbgrader_cli import nbgrader
from support.paper_corpus import GRADED, fill_answers, hint_path, student_chain

pytestmark = pytest.mark.nbgrader

NOTEBOOK = "01_paper_calculation"


def _as_source(answers: dict) -> dict[str, str]:
    return {name: repr(float(value)) for name, value in answers.items()}


# Student -> (answers as typed into the answer cells, the graded tests that must fail)
def _students() -> dict[str, tuple[dict[str, str], set[str]]]:
    exact = _as_source(student_chain())
    slips = hint_path(round_4dp=True)
    slips["dL_dz2"] = slips["dL_dy_pred"]                    # forgot the sigmoid derivative ...
    slips["dL_dW2"] = round(slips["dL_dz2"] * slips["a1"], 4)  # ... and carried it forward
    slips["dL_db2"] = slips["dL_dz2"]
    slips["dL_da1"] = round(slips["dL_dz2"] * 0.6, 4)
    slips["dL_dz1"] = round(slips["dL_da1"] * slips["a1"] * (1 - slips["a1"]), 4)
    slips["dL_dW1"] = round(slips["dL_dz1"] * 0.5, 4)
    hinted = _as_source(slips)
    hinted["dL_db1"] = repr(str(slips["dL_dz1"]))          # typed as a string
    hinted["a1"] = "np.array([[0.6457]])"                  # a (1, 1) array is fine
    hinted["loss"] = f"np.float32({slips['loss']!r})"
    return {
        "exact": (exact, set()),
        "hint_slips": (hinted, {"dL_dz2", "dL_db1"}),
        "blank": ({}, set(GRADED)),
    }


def test_autograde_three_students(generated_course, tmp_path):
    course = copy_generated_course(generated_course, tmp_path / "course", notebooks=(NOTEBOOK,))
    release = course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"

    students = _students()
    for student, (answers, _) in students.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        notebook = fill_answers(nbformat.read(release, as_version=4), answers)
        nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")
    submitted_before = folder_checksums(course / "submitted")

    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    assert folder_checksums(course / "submitted") == submitted_before, "autograde modified submitted/"

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, (_, must_fail) in students.items():
            scores = {name: gradebook.find_grade(f"test_{name}", NOTEBOOK, ASSIGNMENT, student).score
                      for name in GRADED}
            failed = {name for name, value in scores.items() if value != 1.0}
            assert failed == must_fail, (student, scores)
            submission = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            assert submission.code_score == len(GRADED) - len(must_fail)
            # The hand-marked work waits for a grader; it is not silently scored.
            assert submission.needs_manual_grade

    autograded = nbformat.read(course / "autograded" / "hint_slips" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                               as_version=4)
    outputs = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.get("outputs", [])
               for cell in autograded.cells}
    for grade_id, cell_outputs in outputs.items():
        assert not any(o.get("name") == "stderr" for o in cell_outputs), grade_id
    dz2_error = [o for o in outputs["test_dL_dz2"] if o.output_type == "error"]
    feedback = "\n".join(dz2_error[0].traceback)
    assert "forgot the sigmoid derivative" in feedback
    assert "your dL_dy_pred = -1.6064" in feedback and "check_quantity" not in feedback
    db1_error = [o for o in outputs["test_dL_db1"] if o.output_type == "error"]
    assert "dL_db1 should be a number, but it is the text" in "\n".join(db1_error[0].traceback)
