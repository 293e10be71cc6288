"""Validate tells the truth: real ``nbgrader validate`` on the RELEASE notebooks.

A student who filled in every answer correctly must read "Success!"; a student with one
answer missing or malformed must see exactly the test cells of that answer fail, and
where the reference is in the student's hands (notebook 2's worked example, notebook 3's
small networks) a wrong gradient fails Validate too.  The *Validate* button of the
assignment list runs the same ``nbgrader.validator.Validator``.

All variants go to one ``nbgrader validate`` call (one kernel per notebook).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENT, NOTEBOOK_NAMES, make_course_copy
from course.grader.cells import by_grade_id, grade_id, is_autograder_test
from course.instructor.nbgrader_cli import nbgrader_env
from course.instructor.synthetic import full_submission

pytestmark = pytest.mark.nbgrader

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
BACKWARD_TESTS = {f"test_backward_{k}" for k in ("dy_pred", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")}


def _replace(cell_id: str, old: str, new: str):
    def edit(notebook):
        cell = by_grade_id(notebook, cell_id)
        assert old in cell.source, (cell_id, old)
        cell.source = cell.source.replace(old, new, 1)
    return edit


def _set(cell_id: str, source: str):
    def edit(notebook):
        by_grade_id(notebook, cell_id).source = source
    return edit


# variant -> (notebook, edit of the full submission or None, the test cells that must fail)
VARIANTS = {
    "paper_full": ("01_paper_calculation", None, set()),
    # The broken answers are ones no later answer reads: the solutions are formulas of the
    # earlier answers, so a broken step in the middle would break the steps after it too.
    "paper_dW1_missing": ("01_paper_calculation", _set("answer_dL_dW1", STUB), {"test_dL_dW1"}),
    "paper_decimal_comma": ("01_paper_calculation", _set("answer_dL_dW2", "dL_dW2 = -0,2457"), {"test_dL_dW2"}),
    "paper_text_answer": ("01_paper_calculation", _set("answer_loss", "loss = 'about 0.48'"), {"test_loss"}),
    "verification_full": ("02_code_verification", None, set()),
    "verification_backward_missing": (
        "02_code_verification",
        _set("backward_pass_solution",
             "def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):\n    " + STUB.replace("\n", "\n    ")),
        BACKWARD_TESTS),
    "verification_wrong_dz1": (
        "02_code_verification",
        _replace("backward_pass_solution", "dz1 = da1 * a1 * (1 - a1)", "dz1 = da1"), {"test_backward_dz1"}),
    "gradient_flow_full": ("03_gradient_flow", None, set()),
    # The check takes the student's number: an answer never given stops the test cell at its name.
    "gradient_flow_q2_missing": (
        "03_gradient_flow", _set("gradient_after_10_layers_answer", STUB), {"test_gradient_after_10_layers"}),
    "gradient_flow_q2_text": (
        "03_gradient_flow", _set("gradient_after_10_layers_answer", "gradient_after_10_layers = 'tiny'"),
        {"test_gradient_after_10_layers"}),
    "gradient_flow_tanh_slip": (
        "03_gradient_flow", _replace("deep_backward_code", "return 1.0 - a ** 2", "return 1.0 - a"),
        {"test_deep_backward_tanh"}),
    "gradient_flow_missing_transpose": (
        "03_gradient_flow", _replace("deep_backward_code", "dL_da = W.T @ delta", "dL_da = W @ delta"),
        {"test_deep_backward_sigmoid", "test_deep_backward_relu", "test_deep_backward_tanh"}),
}

FAILED_CELL = re.compile(r"The following cell failed:\n\n(.*?)\n\nThe error was:\n\n(.*?)(?=\n={20,}|\Z)", re.S)
VALIDATING = re.compile(r"Validating '([^']+)'")


def _dedent(block: str) -> str:
    return "\n".join(line[4:] if line.startswith("    ") else line for line in block.splitlines()).strip()


def _reports(output: str) -> dict[str, str]:
    """Validate's output, split per notebook file (by stem)."""
    parts = VALIDATING.split(output)
    return {Path(parts[i]).stem: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    course = make_course_copy(tmp_path_factory.mktemp("validate") / "course", with_release=True)
    release, source = course / "release" / ASSIGNMENT, course / "source" / ASSIGNMENT
    folder = course / "work"
    folder.mkdir()
    test_sources = {}
    for variant, (name, edit, _) in VARIANTS.items():
        notebook = full_submission(source / f"{name}.ipynb", release / f"{name}.ipynb")
        if edit is not None:
            edit(notebook)
        nbformat.write(notebook, folder / f"{variant}.ipynb")
        test_sources[variant] = {cell.source.strip(): grade_id(cell)
                                 for cell in notebook.cells if is_autograder_test(cell)}
    env = nbgrader_env(course, {"PYTHONUNBUFFERED": "1"})
    result = subprocess.run(
        # Wide lines: Validate cuts longer ones with "...", and cells are matched by source.
        [str(Path(sys.executable).parent / "nbgrader"), "validate", "--Validator.width=1000",
         *(str(folder / f"{variant}.ipynb") for variant in VARIANTS)],
        cwd=course, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    reports = _reports(result.stdout)
    assert set(reports) == set(VARIANTS), result.stdout[-3000:]
    return reports, test_sources


def test_every_notebook_is_covered():
    assert {name for name, _, _ in VARIANTS.values()} == set(NOTEBOOK_NAMES)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_validate_fails_exactly_the_broken_answers(validated, variant):
    reports, test_sources = validated
    report = reports[variant]
    failed = {}
    for source, error in FAILED_CELL.findall(report):
        cell = test_sources[variant].get(_dedent(source))
        assert cell is not None, f"{variant}: a cell that is not a test failed:\n{source}\n{error}"
        failed[cell] = _dedent(error)
    must_fail = VARIANTS[variant][2]
    assert set(failed) == must_fail, report
    if must_fail:
        assert f"VALIDATION FAILED ON {len(must_fail)} CELL(S)" in report, report
    else:
        assert "Success! Your notebook passes all the tests." in report, report
    # Nothing Validate says may be read as partial credit or a stray value.
    assert "Partial credit" not in report and "Cell output is" not in report, report


def test_validate_says_what_is_wrong(validated):
    reports, _ = validated
    assert "decimal comma" in reports["paper_decimal_comma"]
    assert "replace `raise NotImplementedError()`" in reports["paper_dW1_missing"]
    assert "sigmoid derivative at layer 1" in reports["verification_wrong_dz1"]
    assert "name 'gradient_after_10_layers' is not defined" in reports["gradient_flow_q2_missing"]
