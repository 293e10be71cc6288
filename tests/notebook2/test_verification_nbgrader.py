"""One real nbgrader run for notebook 2: generate, then autograde the reference solution
and one mutant (missing sigmoid derivative at layer 1) in a temporary course copy; scores
are read through nbgrader's Gradebook API.  Also checks that no test cell wrote stderr.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

import pytest

from conftest import copy_generated_course
from course.grader.cells import grade_id, is_autograder_test
from course.instructor.nbgrader_cli import nbgrader
from support.notebook_grader import max_points
from support.verification_corpus import SOLUTION_IDS

pytestmark = pytest.mark.nbgrader

ASSIGNMENT = "ex01_backprop"
NOTEBOOK = "02_code_verification"
MUTATION = ("dz1 = da1 * a1 * (1 - a1)", "dz1 = da1")


def _submit(course: Path, student: str, mutation: tuple[str, str] | None) -> None:
    notebook = nbformat.read(course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    if mutation is not None:
        cell = next(c for c in notebook.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == SOLUTION_IDS[3])
        assert mutation[0] in cell.source
        cell.source = cell.source.replace(*mutation)
    target = course / "submitted" / student / ASSIGNMENT
    target.mkdir(parents=True)
    nbformat.write(notebook, target / f"{NOTEBOOK}.ipynb")


def test_nbgrader_generate_and_autograde(generated_course, tmp_path):
    # `nbgrader validate` of the source notebooks: tests/notebooks/test_release_sync.py
    course = copy_generated_course(generated_course, tmp_path / "course", notebooks=(NOTEBOOK,))
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    released_text = "\n".join(c.source for c in release.cells)
    # The visible and hidden parts call the same check; only the hidden calls say hidden=True.
    assert "BEGIN HIDDEN TESTS" not in released_text and "hidden=True" not in released_text
    assert "check_gradient(backward_pass" in released_text
    assert "MARK SCHEME" not in released_text and "np.clip(z, -500.0" not in released_text

    _submit(course, "reference", None)
    _submit(course, "mutant", MUTATION)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in ("reference", "mutant"):
            nb = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            scores[student] = (nb.score, nb.max_score,
                               {g.name: g.score for g in nb.grades if g.auto_score is not None})
    reference_score, max_score, reference_grades = scores["reference"]
    mutant_score, _, mutant_grades = scores["mutant"]
    print(f"\nnbgrader autograde: reference {reference_score}/{max_score}, mutant {mutant_score}/{max_score}")
    assert reference_score == max_points(NOTEBOOK)  # the manual task is not auto-scored
    assert max_score == max_points(NOTEBOOK) + 2  # + reflection question 3
    lost = {name for name, score in mutant_grades.items() if score < reference_grades[name]}
    assert lost == {"test_backward_dz1"}, mutant_grades

    for student in ("reference", "mutant"):
        graded = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                               as_version=4)
        for cell in graded.cells:
            if is_autograder_test(cell):
                streams = [o for o in cell.outputs if o.get("name") == "stderr"]
                assert not streams, (student, grade_id(cell), streams)
        if student == "mutant":
            failing = next(c for c in graded.cells
                           if c.metadata.get("nbgrader", {}).get("grade_id") == "test_backward_dz1")
            error = next(o for o in failing.outputs if o.output_type == "error")
            text = "\n".join(error.traceback)
            assert "sigmoid derivative at layer 1" in text and "check_gradient" not in text
    shutil.rmtree(course / "autograded", ignore_errors=True)
