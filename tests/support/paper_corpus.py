"""Helpers for the notebook-1 grader corpus: student answer sets and an in-process grader.

Expected values here are computed from the exercise's formulas with ``math.exp`` /
``math.log``, independently of ``course.checks.paper``.  The in-process grader runs the
*source notebook's own* test cells (visible and hidden parts), so the corpus always
grades exactly what nbgrader would run.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Callable, Mapping

import nbformat

from course.grader.cells import is_autograder_test, nbgrader_meta
from support.notebook_grader import CellOutcome, grade_cells

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


# ---- running the notebook's own test cells in-process -------------------------------

# One test cell's result; scored by nbgrader's own functions (tests/support/notebook_grader.py).
Outcome = CellOutcome


_meta = nbgrader_meta


@functools.lru_cache(maxsize=1)
def _read_notebook(path: Path, mtime: float):
    return nbformat.read(path, as_version=4)


def notebook_cells() -> list:
    return _read_notebook(NOTEBOOK, NOTEBOOK.stat().st_mtime).cells


def hidden_test_sources() -> dict[str, tuple[str, float]]:
    """quantity name -> (test cell source incl. hidden part, points), from the source notebook."""
    tests = {}
    for cell in notebook_cells():
        m = _meta(cell)
        if is_autograder_test(cell):
            tests[m["grade_id"].removeprefix("test_")] = (cell.source, float(m["points"]))
    return tests


def base_namespace() -> dict:
    """What the notebook's read-only code cells define (IPython magics skipped)."""
    namespace: dict = {"__name__": "__main__"}
    for cell in notebook_cells():
        m = _meta(cell)
        if cell.cell_type == "code" and m.get("locked") and not m.get("grade") \
                and m["grade_id"] in ("paper_setup", "paper_given_values"):
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
            exec(compile(code, m["grade_id"], "exec"), namespace)
    return namespace


def grade_in_process(answers: Mapping[str, object]) -> dict[str, Outcome]:
    """Run every test cell of the source notebook against a kernel-like namespace.

    ``answers`` are the variables the student's answer cells defined (a missing name is
    an answer cell left as released, raising NotImplementedError).  Scored as nbgrader
    scores: a cell that raises or writes to stderr gets zero.
    """
    namespace = base_namespace()
    namespace.update(answers)
    cells = [(name, source, points) for name, (source, points) in hidden_test_sources().items()]
    return grade_cells(namespace, cells)


def lost(outcomes: Mapping[str, Outcome]) -> set[str]:
    return {name for name, outcome in outcomes.items() if outcome.points < outcome.max_points}


def score(outcomes: Mapping[str, Outcome]) -> float:
    return sum(outcome.points for outcome in outcomes.values())


# ---- filling a release notebook for a real nbgrader run --------------------------------

def fill_answers(notebook, answers: Mapping[str, str]):
    """Put ``name = <source text>`` into the answer cells of a release notebook (in place).

    The notebook's setup cell imports no numpy: an answer written with ``np.`` gets the
    import a student would add to that cell.
    """
    for cell in notebook.cells:
        grade_id = _meta(cell).get("grade_id", "")
        if grade_id.startswith("answer_") and grade_id.removeprefix("answer_") in answers:
            name = grade_id.removeprefix("answer_")
            numpy = "import numpy as np\n" if "np." in answers[name] else ""
            cell.source = f"{numpy}{name} = {answers[name]}"
    return notebook
