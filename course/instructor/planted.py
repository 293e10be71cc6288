"""A synthetic class with a planted distribution of misconceptions, for the class report.

Each :class:`Plant` is one mistake a student makes in one notebook: an edit of the full
(correct) submission, the test it must fail with which misconception id, and the later
tests that must count as right by error carried forward.  :data:`CLASS_PLAN` says how
many students make which plants; :func:`expected_counts` turns the plan into the rows
``make report`` must produce (``notebook, test, outcome, misconception -> students``),
so a test can compare the report with what was planted, exactly.

Notebook-1 answers are typed as numbers a student computes step by step with the
exercise's formulas (plain ``math``), carrying their own mistake forward.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from course.grader.cells import by_grade_id, grade_id, is_autograder_test
from course.exercise.constants import EXERCISE_VALUES
from course.instructor.synthetic import full_submission, write_submission

__all__ = ["Plant", "PLANTS", "CLASS_PLAN", "class_plan", "planted_submission", "write_planted_class", "expected_counts"]

PAPER, VERIFICATION, GRADIENT_FLOW = "01_paper_calculation", "02_code_verification", "03_gradient_flow"
NOTEBOOKS = (PAPER, VERIFICATION, GRADIENT_FLOW)


@dataclass(frozen=True)
class Plant:
    """One planted mistake: ``edit`` the notebook; ``fails`` test -> misconception id;
    ``carried`` the tests that become right by error carried forward."""

    notebook: str
    edit: Callable[[nbformat.NotebookNode], None]
    fails: dict[str, str]
    carried: tuple[str, ...] = field(default_factory=tuple)


# --- notebook 1: numbers computed by hand, with the student's own mistake carried on ----
_STEPS: tuple[tuple[str, Callable[[dict], float]], ...] = (
    ("z1", lambda v: v["W1"] * v["x"] + v["b1"]),
    ("a1", lambda v: 1 / (1 + math.exp(-v["z1"]))),
    ("z2", lambda v: v["W2"] * v["a1"] + v["b2"]),
    ("y_pred", lambda v: 1 / (1 + math.exp(-v["z2"]))),
    # y is 1 in the exercise, so only the y·ln(y_pred) terms remain.
    ("loss", lambda v: -v["y"] * math.log(v["y_pred"])),
    ("dL_dy_pred", lambda v: -v["y"] / v["y_pred"]),
    ("dL_dz2", lambda v: v["dL_dy_pred"] * v["y_pred"] * (1 - v["y_pred"])),
    ("dL_dW2", lambda v: v["dL_dz2"] * v["a1"]),
    ("dL_db2", lambda v: v["dL_dz2"]),
    ("dL_da1", lambda v: v["dL_dz2"] * v["W2"]),
    ("dL_dz1", lambda v: v["dL_da1"] * v["a1"] * (1 - v["a1"])),
    ("dL_dW1", lambda v: v["dL_dz1"] * v["x"]),
    ("dL_db1", lambda v: v["dL_dz1"]),
)


def _paper_answers(**mistakes: Callable[[dict], float]) -> dict[str, float]:
    if EXERCISE_VALUES["y"] != 1:
        raise ValueError("the planted notebook-1 answers assume the exercise's y = 1")
    values = dict(EXERCISE_VALUES)
    for name, formula in _STEPS:
        values[name] = mistakes.get(name, formula)(values)
    return {name: values[name] for name, _ in _STEPS}


def _typed_answers(**mistakes: Callable[[dict], float]) -> Callable[[nbformat.NotebookNode], None]:
    def edit(notebook: nbformat.NotebookNode) -> None:
        for name, value in _paper_answers(**mistakes).items():
            by_grade_id(notebook, f"answer_{name}").source = f"{name} = {value!r}"
    return edit


def _tests(*names: str) -> tuple[str, ...]:
    return tuple(f"test_{name}" for name in names)


def _replace(cell_id: str, old: str, new: str) -> Callable[[nbformat.NotebookNode], None]:
    def edit(notebook: nbformat.NotebookNode) -> None:
        cell = by_grade_id(notebook, cell_id)
        if old not in cell.source:
            raise ValueError(f"plant no longer applies to {cell_id}: {old!r}")
        cell.source = cell.source.replace(old, new, 1)
    return edit


PLANTS: dict[str, Plant] = {
    "paper_forgot_sigmoid_derivative": Plant(
        PAPER, _typed_answers(dL_dz2=lambda v: v["dL_dy_pred"]),
        {"test_dL_dz2": "forgot_the_sigmoid_derivative"},
        _tests("dL_dW2", "dL_db2", "dL_da1", "dL_dz1", "dL_dW1", "dL_db1")),
    "paper_forgot_bias": Plant(
        PAPER, _typed_answers(z1=lambda v: v["W1"] * v["x"]),
        {"test_z1": "forgot_the_bias"},
        _tests(*(name for name, _ in _STEPS[1:]))),
    "paper_log10_loss": Plant(
        PAPER, _typed_answers(loss=lambda v: -math.log10(v["y_pred"])),
        {"test_loss": "used_log_base_10"}),
    "verification_layer1_sigmoid_derivative": Plant(
        VERIFICATION, _replace("backward_pass_solution", "dz1 = da1 * a1 * (1 - a1)", "dz1 = da1"),
        {"test_backward_dz1": "forgot_the_sigmoid_derivative"},
        ("test_backward_dW1", "test_backward_db1")),
    "verification_layer2_sigmoid_derivative": Plant(
        VERIFICATION, _replace("backward_pass_solution", "dz2 = dy_pred * y_pred * (1 - y_pred)", "dz2 = dy_pred"),
        {"test_backward_dz2": "forgot_the_sigmoid_derivative"},
        ("test_backward_dW2", "test_backward_db2", "test_backward_da1", "test_backward_dz1",
         "test_backward_dW1", "test_backward_db1")),
    "verification_bce_sign": Plant(
        VERIFICATION, _replace("bce_solution", "return -(y_true * np.log(y_pred)", "return (y_true * np.log(y_pred)"),
        {"test_bce_values": "sign_error"}),
    "gradient_flow_tanh_derivative": Plant(
        GRADIENT_FLOW, _replace("deep_backward_code", "return 1.0 - a ** 2", "return 1.0 - a"),
        {"test_deep_backward_tanh": "gradient_into_hidden_layer"},
        ("test_analyze_gradient_flow",)),
    "gradient_flow_factors_added": Plant(
        GRADIENT_FLOW, _replace("gradient_after_10_layers_answer", "0.25 ** 10", "0.25 * 10"),
        {"test_gradient_after_10_layers": "factors_added"}),
    "gradient_flow_missing_transpose": Plant(
        GRADIENT_FLOW, _replace("deep_backward_code", "dL_da = W.T @ delta", "dL_da = W @ delta"),
        {"test_deep_backward_sigmoid": "missing_transpose", "test_deep_backward_relu": "missing_transpose",
         "test_deep_backward_tanh": "missing_transpose"},
        ("test_analyze_gradient_flow", "test_vanishing_phenomenon")),
}

# How many students make which plants (an empty tuple: everything right); 60 students.
CLASS_PLAN: tuple[tuple[int, tuple[str, ...]], ...] = (
    (10, ()),
    (8, ("paper_forgot_sigmoid_derivative",)),
    (5, ("paper_forgot_bias",)),
    (4, ("paper_log10_loss",)),
    (6, ("verification_layer1_sigmoid_derivative",)),
    (4, ("verification_layer2_sigmoid_derivative",)),
    (4, ("verification_bce_sign",)),
    (6, ("gradient_flow_tanh_derivative",)),
    (5, ("gradient_flow_factors_added",)),
    (3, ("gradient_flow_missing_transpose",)),
    (5, ("paper_forgot_sigmoid_derivative", "verification_layer1_sigmoid_derivative",
         "gradient_flow_tanh_derivative")),
)


def class_plan(plan=CLASS_PLAN) -> dict[str, tuple[str, ...]]:
    """Student id -> the plants that student makes."""
    students, number = {}, 0
    for count, plants in plan:
        for _ in range(count):
            number += 1
            students[f"student_{number:03d}"] = plants
    return students


def planted_submission(root: Path, assignment: str, plants: tuple[str, ...]) -> dict[str, nbformat.NotebookNode]:
    """Notebook name -> the full submission with ``plants`` applied (every notebook of ``source/``)."""
    source, release = root / "source" / assignment, root / "release" / assignment
    names = sorted(path.stem for path in source.glob("*.ipynb"))
    notebooks = {name: full_submission(source / f"{name}.ipynb", release / f"{name}.ipynb") for name in names}
    for plant in plants:
        PLANTS[plant].edit(notebooks[PLANTS[plant].notebook])
    return notebooks


def write_planted_class(root: Path, assignment: str, students: dict[str, tuple[str, ...]]) -> None:
    """Write every student's submission (all notebooks) into ``root/submitted``."""
    for student, plants in students.items():
        write_submission(root / "submitted", student, assignment, planted_submission(root, assignment, plants))


def expected_counts(root: Path, assignment: str, students: dict[str, tuple[str, ...]]
                    ) -> dict[tuple[str, str, str, str], int]:
    """``(notebook, test, outcome, misconception) -> students`` that the plan implies."""
    tests = {}
    for path in sorted((root / "source" / assignment).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        tests[path.stem] = [grade_id(cell) for cell in notebook.cells if is_autograder_test(cell)]
    counts: collections.Counter = collections.Counter()
    for plants in students.values():
        failed, carried = {}, set()
        for plant in (PLANTS[name] for name in plants):
            failed.update({(plant.notebook, test): m for test, m in plant.fails.items()})
            carried.update((plant.notebook, test) for test in plant.carried)
        for notebook, names in tests.items():
            for test in names:
                key = (notebook, test)
                if key in failed:
                    counts[(notebook, test, "failed", failed[key])] += 1
                elif key in carried:
                    counts[(notebook, test, "passed_ecf", "")] += 1
                else:
                    counts[(notebook, test, "passed", "")] += 1
    return dict(counts)
