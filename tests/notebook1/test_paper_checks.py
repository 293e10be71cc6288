"""Grader corpus for notebook 1 (paper calculation), graded in-process.

Every case runs the *source notebook's* test cells (visible + hidden parts) against a
namespace holding the student's answers, exactly as the grading kernel would, and
scores them like nbgrader (a cell that raises or writes stderr gets zero).  Expected
values come from ``tests/support/paper_corpus.py`` (``math.exp`` on the exercise's formulas).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from support.notebook_grader import grade as grade_notebook
from support.paper_corpus import (
    GIVEN, GRADED, HINT_TABLE, NOTEBOOK, QUANTITIES, STEP_FORMULAS, hint_path, round_sig, student_chain,
)

from course.kernel.messages import GradingError

FULL = float(len(GRADED))  # one point per graded quantity


def assert_clean(outcomes):
    """No test cell may crash with anything but a GradingError, nor write to stderr."""
    assert set(outcomes) == {f"test_{name}" for name in GRADED}
    for name, outcome in outcomes.items():
        assert outcome.stderr == "", f"{name} wrote to stderr: {outcome.stderr!r}"
        if outcome.error is not None:
            assert isinstance(outcome.error, GradingError), f"{name}: {outcome.error!r}"
            assert str(outcome.error).strip(), f"{name}: empty feedback"


def grade(answers):
    outcomes = grade_notebook(NOTEBOOK, answers)
    assert_clean(outcomes)
    return outcomes


# ---- the reference values themselves ----------------------------------------------

def test_reference_values_match_the_hand_calculation():
    exact = student_chain()
    # Values worked out on paper from the exercise (4 decimals).
    expected = {"z1": 0.6, "a1": 0.6457, "z2": 0.4874, "y_pred": 0.6195, "loss": 0.4789,
                "dL_dy_pred": -1.6142, "dL_dz2": -0.3805, "dL_dW2": -0.2457, "dL_db2": -0.3805,
                "dL_da1": -0.2283, "dL_dz1": -0.0522, "dL_dW1": -0.0261, "dL_db1": -0.0522}
    for name, value in expected.items():
        assert round(exact[name], 4) == value, name
    assert exact["dL_dz2"] == pytest.approx(exact["y_pred"] - 1.0)


# ---- correct answers in every reasonable form: full marks ------------------------------

def _with(answers, **changes):
    return {**answers, **changes}


CORRECT_CASES = {
    "exact": student_chain(),
    "rounded to 4 decimals": {k: round(v, 4) for k, v in student_chain().items()},
    "4 decimals, each step from the rounded ones": student_chain(round_to=lambda v: round(v, 4)),
    "3 significant figures": {k: round_sig(v, 3) for k, v in student_chain().items()},
    "3 s.f., each step from the rounded ones": student_chain(round_to=lambda v: round_sig(v, 3)),
    "hint-table path": hint_path(),
    "hint-table path, 4 decimals": hint_path(round_4dp=True),
    "hint a1, computed y_pred": student_chain({"a1": lambda v: HINT_TABLE[0.6]},
                                              round_to=lambda v: round(v, 4)),
    "simplified dL_dz2 = y_pred - y": student_chain({"dL_dz2": lambda v: v["y_pred"] - v["y"]}),
    "simplified, hint path": _with(hint_path(), dL_dz2=HINT_TABLE[0.5] - 1.0),
    "float32 scalars": {k: np.float32(v) for k, v in student_chain().items()},
    "(1, 1) arrays": {k: np.array([[v]]) for k, v in student_chain().items()},
    "0-d float32 arrays": {k: np.array(v, dtype=np.float32) for k, v in student_chain().items()},
    "numpy float64": {k: np.float64(v) for k, v in student_chain().items()},
    "max as a fraction 1/4": _with(student_chain(), max_sigmoid_derivative=1 / 4),
}


@pytest.mark.parametrize("case", CORRECT_CASES, ids=list(CORRECT_CASES))
def test_correct_variants_get_full_marks(case):
    outcomes = grade(CORRECT_CASES[case])
    assert outcomes.lost == set(), outcomes.messages()
    assert outcomes.points == FULL
    for name in GRADED:
        assert "✓" in outcomes[f"test_{name}"].stdout


@pytest.mark.parametrize("y_pred_written", [0.623, 0.622])
def test_hint_path_to_3_significant_figures(y_pred_written):
    # σ(0.5) ≈ 0.6225 written as 0.623 (or 0.622) is 0.56 % (0.40 %) away from σ(0.4876):
    # only the hint-table reading accepts the first, and neither may cost a point.
    answers = student_chain({"a1": lambda v: 0.646, "y_pred": lambda v: y_pred_written},
                            round_to=lambda v: round_sig(v, 3))
    assert answers["z2"] == 0.488
    outcomes = grade(answers)
    assert outcomes.lost == set(), outcomes.messages()


def test_simplified_dL_dz2_uses_the_students_own_y_pred():
    # Slips in y_pred and in dL_dy_pred; dL_dz2 written as y_pred - y from their y_pred.
    answers = student_chain({"y_pred": lambda v: 0.7, "dL_dy_pred": lambda v: -1.0,
                             "dL_dz2": lambda v: v["y_pred"] - v["y"]})
    outcomes = grade(answers)
    assert outcomes.lost == {"test_y_pred", "test_dL_dy_pred"}, outcomes.messages()


def test_hint_path_says_it_used_the_hint_table():
    outcomes = grade(hint_path())
    assert "hint table" in outcomes["test_y_pred"].stdout
    assert "σ(0.5)" in outcomes["test_y_pred"].stdout


# ---- one slip, carried forward consistently: exactly that step loses ------------------

@pytest.mark.parametrize("step", QUANTITIES)
def test_one_slip_costs_exactly_that_step(step):
    slip = {step: lambda v: STEP_FORMULAS[step](v) * 1.1 + 0.01}
    answers = student_chain(slip)
    outcomes = grade(answers)
    assert outcomes.lost == {f"test_{step}"}, outcomes.messages()
    assert outcomes.points == FULL - 1
    message = outcomes[f"test_{step}"].message
    assert message.startswith(f"{step} = ")
    assert "Checked against" in message


@pytest.mark.parametrize("step", QUANTITIES[1:])
def test_slip_feedback_names_the_students_own_inputs(step):
    answers = student_chain({step: lambda v: STEP_FORMULAS[step](v) * 1.1 + 0.01})
    message = grade(answers)[f"test_{step}"].message
    assert "Checked against your " in message


def test_feedback_quotes_the_earlier_values_it_used():
    answers = student_chain({"a1": lambda v: 0.7, "dL_dz2": lambda v: 0.5})
    outcomes = grade(answers)
    assert outcomes.lost == {"test_a1", "test_dL_dz2"}
    assert "your dL_dy_pred = " in outcomes["test_dL_dz2"].message
    assert "your y_pred = " in outcomes["test_dL_dz2"].message
    # Later steps were computed from the student's wrong a1 = 0.7 and still pass.
    assert "a1 = 0.7" not in outcomes["test_dL_dW2"].message


# ---- named misconceptions: that step loses, the feedback names it ---------------------

MISCONCEPTIONS = [
    # (step, what the student computed instead, words the feedback must contain)
    ("z1", lambda v: v["W1"] * v["x"], "forgot to add the bias"),
    ("a1", lambda v: v["z1"], "forgot the activation"),
    ("z2", lambda v: v["W2"] * v["z1"] + v["b2"], "used z1 instead of a1"),
    ("y_pred", lambda v: v["z2"], "forgot the output activation"),
    ("loss", lambda v: math.log(v["y_pred"]), "minus sign"),
    ("loss", lambda v: -math.log10(v["y_pred"]), "log base 10"),
    ("loss", lambda v: -math.log(1 - v["y_pred"]), "ln(1 − y_pred)"),
    ("dL_dy_pred", lambda v: v["y"] / v["y_pred"], "sign error in dL/dy_pred"),
    ("dL_dz2", lambda v: v["dL_dy_pred"], "forgot the sigmoid derivative"),
    ("dL_dz2", lambda v: v["y"] - v["y_pred"], "sign is flipped"),
    ("dL_dz2", lambda v: v["dL_dy_pred"] * v["z2"] * (1 - v["z2"]), "used z2 instead of y_pred"),
    ("dL_dW2", lambda v: v["dL_dz2"] * v["z1"], "used z1 instead of a1"),
    ("dL_dW2", lambda v: v["dL_dz2"], "forgot to multiply by a1"),
    ("dL_db2", lambda v: v["dL_dz2"] * v["a1"], "multiplied by a1"),
    ("dL_da1", lambda v: v["dL_dz2"] * v["W1"], "wrong weight"),
    ("dL_da1", lambda v: v["dL_dz2"] * v["a1"], "that gives dL/dW2"),
    ("dL_dz1", lambda v: v["dL_da1"], "forgot the sigmoid derivative"),
    ("dL_dz1", lambda v: v["dL_da1"] * v["z1"] * (1 - v["z1"]), "used z1 instead of a1"),
    ("dL_dW1", lambda v: v["dL_dz1"], "forgot x"),
    ("dL_dW1", lambda v: v["dL_dz1"] * v["a1"], "the input of W1 is x"),
    ("dL_db1", lambda v: v["dL_dz1"] * v["x"], "multiplied by x"),
    ("dL_dW2", lambda v: -v["dL_dz2"] * v["a1"], "sign is flipped"),
]
MISCONCEPTION_IDS = [f"{step}-{words.split(':')[0].replace(' ', '_')}" for step, _, words in MISCONCEPTIONS]

# The inputs each step is checked against (from the exercise's equations).
INPUTS = {"a1": ("z1",), "z2": ("a1",), "y_pred": ("z2",), "loss": ("y_pred",),
          "dL_dy_pred": ("y_pred",), "dL_dz2": ("dL_dy_pred", "y_pred"), "dL_dW2": ("dL_dz2", "a1"),
          "dL_db2": ("dL_dz2",), "dL_da1": ("dL_dz2",), "dL_dz1": ("dL_da1", "a1"),
          "dL_dW1": ("dL_dz1",), "dL_db1": ("dL_dz1",)}


@pytest.mark.parametrize("step, wrong, words", MISCONCEPTIONS, ids=MISCONCEPTION_IDS)
def test_misconception_costs_that_step_and_is_named(step, wrong, words):
    answers = student_chain({step: wrong})  # later steps carried forward from the wrong value
    outcomes = grade(answers)
    assert outcomes.lost == {f"test_{step}"}, outcomes.messages()
    message = outcomes[f"test_{step}"].message
    assert words in message, message
    for name in INPUTS.get(step, ()):
        assert f"your {name} = " in message, message
    # The expected value is the answer itself: it must not be printed (6 s.f. or 4 d.p.).
    expected = STEP_FORMULAS[step]({**GIVEN, **answers})
    shown_inputs = {abs(answers[name]) for name in INPUTS.get(step, ())}
    # (Skipped when the answer shown is the expected value up to sign, or an input shown is it.)
    shown_inputs.add(abs(answers[step]))
    if not any(math.isclose(abs(expected), shown, rel_tol=1e-9) for shown in shown_inputs):
        assert f"{expected:.6g}" not in message and f"{expected:.4f}" not in message, message


def test_max_sigmoid_derivative_misconception():
    outcomes = grade(_with(student_chain(), max_sigmoid_derivative=0.5))
    assert outcomes.lost == {"test_max_sigmoid_derivative"}
    assert "σ(0) = 0.5" in outcomes["test_max_sigmoid_derivative"].message


def test_dL_dW2_with_z1_mentions_both_readings():
    # z1 = 0.6 = W2 here, so dL/dz2·z1 is also dL/dz2·W2 (= dL/da1): the feedback says both.
    message = grade(student_chain({"dL_dW2": lambda v: v["dL_dz2"] * v["z1"]}))["test_dL_dW2"].message
    assert "used z1 instead of a1" in message and "weight W2" in message


# ---- true messages (issue 10): rounding, decimal commas, errors in answer cells -------------

def test_rounding_every_step_is_named_as_rounding_not_as_a_misconception():
    # Every step rounded to 2 decimals: dL_dW1 = round(-0.05 * 0.5, 2) = -0.03, which is
    # also -0.05 * z1; the student's rounding explains it, the misconception must not be named.
    answers = student_chain(round_to=lambda v: round(v, 2))
    assert answers["dL_dW1"] == -0.03
    outcomes = grade(answers)
    assert outcomes.lost == {"test_a1", "test_dL_dW2", "test_dL_da1", "test_dL_dz1", "test_dL_dW1"}
    for grade_id in outcomes.lost:
        message = outcomes[grade_id].message
        assert "significant figure" in message and "It looks like" not in message, message
    assert "multiplied by z1" not in outcomes["test_dL_dW1"].message


@pytest.mark.parametrize("written, figures", [(0.65, "2 significant figures"), (0.6, "1 significant figure:")])
def test_close_but_short_of_3_significant_figures_says_exactly_that(written, figures):
    outcomes = grade(_with(student_chain(), a1=written))
    assert outcomes.lost == {"test_a1"}
    assert f"only {figures}" in outcomes["test_a1"].message and "at least 3" in outcomes["test_a1"].message


def test_a_misconception_is_still_named_when_rounding_cannot_explain_it():
    # Forgot the bias: z1 = 0.4, one figure, but 0.6 rounded to one figure is 0.6, not 0.4.
    outcomes = grade(_with(student_chain(), z1=0.4))
    assert "forgot to add the bias" in outcomes["test_z1"].message
    assert "significant" not in outcomes["test_z1"].message


def test_decimal_comma_is_called_a_decimal_comma():
    outcomes = grade(_with(student_chain(), a1=(0, 6457)))  # what `a1 = 0,6457` gives
    assert outcomes.lost == {"test_a1"}
    assert "decimal comma" in outcomes["test_a1"].message and "shape" not in outcomes["test_a1"].message


def test_an_answer_cell_that_raised_is_not_told_to_replace_the_stub():
    # The student replaced the stub with a formula that raised (a typo): IPython's input
    # history (In) holds the cell that tried to assign dL_dz2.
    answers = {k: v for k, v in student_chain().items() if k != "dL_dz2"}
    answers["In"] = ["", "dL_dz2 = dL_dy_pred * y_pred * (1 - y_pred_typo)"]
    message = grade(answers)["test_dL_dz2"].message
    assert "stopped with an error" in message and "NotImplementedError" not in message, message
    # A stub that was only run (never replaced) still gets the instruction.
    answers["In"] = ["", "# write: dL_dz2 = <your number>\n# YOUR CODE HERE\nraise NotImplementedError()"]
    assert "replace `raise NotImplementedError()`" in grade(answers)["test_dL_dz2"].message


def test_a_function_that_raises_without_a_message_reads_properly():
    from course.kernel.calls import call_student

    def empty():
        raise ZeroDivisionError()

    with pytest.raises(GradingError) as failure:
        call_student(empty, what="f()")
    assert str(failure.value) == "f() raised ZeroDivisionError"
    from course.kernel.messages import error_summary

    assert error_summary(NotImplementedError()) == "NotImplementedError (not written yet)"
    assert not error_summary(ValueError("")).endswith(":")


# ---- tolerance: 3 significant figures pass, 1 % off does not --------------------------

@pytest.mark.parametrize("step", QUANTITIES)
def test_tolerance_band(step):
    exact = student_chain()
    near = grade(_with(exact, **{step: exact[step] * 1.003}))
    assert near.lost == set(), near[f"test_{step}"].message
    far = grade(_with(exact, **{step: exact[step] * 1.01}))
    assert far.lost == {f"test_{step}"}, far[f"test_{step}"].message


@pytest.mark.parametrize("step", QUANTITIES)
def test_wrong_answers_are_not_accepted_via_the_hint_table(step):
    exact = student_chain()
    wrong = _with(exact, **{step: exact[step] * 0.9})
    assert f"test_{step}" in grade(wrong).lost


# ---- blank and malformed submissions ---------------------------------------------------

def test_blank_submission_scores_zero_with_clear_messages():
    outcomes = grade({})  # the released stubs raise NotImplementedError: nothing is defined
    assert outcomes.points == 0
    for name in GRADED:
        assert f"{name} is not defined" in outcomes[f"test_{name}"].message
        assert "NotImplementedError" in outcomes[f"test_{name}"].message  # tells them what to replace


MALFORMED = {
    "text": "0.6",
    "None": None,
    "NaN": float("nan"),
    "infinity": float("inf"),
    "list of two": [0.6, 0.7],
    "dict": {"value": 0.6},
    "array of three": np.array([0.1, 0.2, 0.3]),
    "complex": 1 + 2j,
    "bool": True,
    "Ellipsis": ...,
}


@pytest.mark.parametrize("kind", MALFORMED)
@pytest.mark.parametrize("step", QUANTITIES)
def test_malformed_answer_costs_only_that_step(kind, step):
    answers = _with(student_chain(), **{step: MALFORMED[kind]})
    outcomes = grade(answers)
    assert outcomes.lost == {f"test_{step}"}, outcomes.messages()
    message = outcomes[f"test_{step}"].message
    assert step in message and ("number" in message or "finite" in message), message


def test_malformed_predecessor_falls_back_to_the_correct_value():
    answers = _with(student_chain(), a1="about 0.65")
    outcomes = grade(answers)
    assert outcomes.lost == {"test_a1"}
    # A wrong z2 is then checked against the correct a1, and says so.
    outcomes = grade(_with(answers, z2=0.3))
    assert outcomes.lost == {"test_a1", "test_z2"}
    assert "the correct a1 (your a1 is missing or not a number)" in outcomes["test_z2"].message


def test_everything_malformed_never_crashes():
    answers = {name: MALFORMED[kind] for name, kind in zip(GRADED, list(MALFORMED) * 2)}
    outcomes = grade(answers)
    assert outcomes.points == 0


def test_extreme_numbers_never_crash():
    # Values that make the recomputed formulas undefined (ln of a negative, 1/0, overflow).
    answers = {"z1": 1e308, "a1": -5.0, "z2": 0.0, "y_pred": 0.0, "loss": -1e300, "dL_dy_pred": 0.0,
               "dL_dz2": 1e308, "dL_dW2": -1e308, "dL_db2": 0.0, "dL_da1": 1e-320,
               "dL_dz1": 7.0, "dL_dW1": 3.5, "dL_db1": 7.0, "max_sigmoid_derivative": -0.0}
    outcomes = grade(answers)
    assert "test_dL_dW1" not in outcomes.lost  # 3.5 = their dL_dz1 · x: error carried forward
    assert "test_dL_db1" not in outcomes.lost


# ---- tampering: the hidden part does not trust names the student can rebind ------------

def test_rebinding_the_check_functions_does_not_help():
    def fake(*_args, **_kwargs):
        print("✓ all good")

    answers = _with(student_chain(), z1=123.0, check_quantity=fake, check_number=fake)
    outcomes = grade(answers)
    assert outcomes.lost == {"test_z1"}


def test_an_answer_whose_eq_is_always_true_is_judged_by_its_value():
    class AlwaysEqual(float):
        def __eq__(self, other):
            return True

        __hash__ = float.__hash__

    outcomes = grade(_with(student_chain(), dL_dz2=AlwaysEqual(5.0)))
    assert outcomes.lost == {"test_dL_dz2"}
