"""Notebook 1's grader corpus: student answer sets, graded by ``support.notebook_grader.grade``.

Expected values here are computed from the exercise's formulas with ``math.exp`` /
``math.log``, independently of ``course.checks.paper``.  The in-process grader runs the
*source notebook's own* test cells (visible and hidden parts), so the corpus always
grades exactly what nbgrader would run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Mapping

from course.grader.cells import nbgrader_meta

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "source" / "ex01_backprop" / "01_paper_calculation.ipynb"

GIVEN = {"x": 0.5, "y": 1.0, "W1": 0.8, "b1": 0.2, "W2": 0.6, "b2": 0.1}
QUANTITIES = ("z1", "a1", "z2", "y_pred", "loss",
              "dL_dy_pred", "dL_dz2", "dL_dW2", "dL_db2", "dL_da1", "dL_dz1", "dL_dW1", "dL_db1")
GRADED = (*QUANTITIES, "max_sigmoid_derivative")
HINT_TABLE = {0.5: 0.6225, 0.6: 0.6457, 0.7: 0.6682}


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# How a careful student computes each step from the values so far (the exercise's formulas).
STEP_FORMULAS: dict[str, Callable[[Mapping[str, float]], float]] = {
    "z1": lambda v: v["W1"] * v["x"] + v["b1"],
    "a1": lambda v: sigmoid(v["z1"]),
    "z2": lambda v: v["W2"] * v["a1"] + v["b2"],
    "y_pred": lambda v: sigmoid(v["z2"]),
    "loss": lambda v: -(v["y"] * math.log(v["y_pred"])),  # y = 1: the (1 - y) term is 0
    "dL_dy_pred": lambda v: -v["y"] / v["y_pred"],
    "dL_dz2": lambda v: v["dL_dy_pred"] * v["y_pred"] * (1 - v["y_pred"]),
    "dL_dW2": lambda v: v["dL_dz2"] * v["a1"],
    "dL_db2": lambda v: v["dL_dz2"],
    "dL_da1": lambda v: v["dL_dz2"] * v["W2"],
    "dL_dz1": lambda v: v["dL_da1"] * v["a1"] * (1 - v["a1"]),
    "dL_dW1": lambda v: v["dL_dz1"] * v["x"],
    "dL_db1": lambda v: v["dL_dz1"],
}


def student_chain(overrides: Mapping[str, Callable[[Mapping[str, float]], float]] | None = None,
                  round_to: Callable[[float], float] | None = None,
                  given: Mapping[str, float] | None = None) -> dict[str, float]:
    """Answers of a student who works step by step from their own written numbers.

    ``overrides[step](values_so_far)`` replaces the formula of that step (a slip or a
    misconception); ``round_to`` is applied to every number the student writes down, and
    later steps use the rounded numbers.  ``given`` (y = 1) replaces the exercise's
    values (a student with values of their own).  Includes ``max_sigmoid_derivative = 0.25``.
    """
    overrides = dict(overrides or {})
    values: dict[str, float] = dict(GIVEN if given is None else given)
    for step in QUANTITIES:
        value = overrides.get(step, STEP_FORMULAS[step])(values)
        values[step] = round_to(value) if round_to else value
    answers = {name: values[name] for name in QUANTITIES}
    answers["max_sigmoid_derivative"] = 0.25
    return answers


def round_sig(value: float, figures: int) -> float:
    if value == 0:
        return 0.0
    return round(value, figures - 1 - math.floor(math.log10(abs(value))))


def hint_path(round_4dp: bool = False) -> dict[str, float]:
    """The exercise's hint table all the way: a1 = 0.6457 and y_pred = σ(0.5) ≈ 0.6225."""
    return student_chain(
        {"a1": lambda v: HINT_TABLE[0.6], "y_pred": lambda v: HINT_TABLE[0.5]},
        round_to=(lambda value: round(value, 4)) if round_4dp else None,
    )


# ---- filling a release notebook for a real nbgrader run --------------------------------

def fill_answers(notebook, answers: Mapping[str, str]):
    """Put ``name = <source text>`` into the answer cells of a release notebook (in place).

    The notebook's setup cell imports no numpy: an answer written with ``np.`` gets the
    import a student would add to that cell.
    """
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id", "")
        if grade_id.startswith("answer_") and grade_id.removeprefix("answer_") in answers:
            name = grade_id.removeprefix("answer_")
            numpy = "import numpy as np\n" if "np." in answers[name] else ""
            cell.source = f"{numpy}{name} = {answers[name]}"
    return notebook
