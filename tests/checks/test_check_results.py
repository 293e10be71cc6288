"""One result type for every check (issue 13): pure judgements and their outcomes.

The judgements of all three notebooks return a ``Result`` (passed / passed by error
carried forward / failed, misconception id, message); ``check_*`` only shows it and
raises.  Expected outcomes follow from the exercise's chain rule, stated here.
"""

from __future__ import annotations

import numpy as np
import pytest

from support import gradient_flow_corpus as corpus
from course.checks import gradient_flow, paper, verification
from course.checks.result import (Outcome, Result, failed_result, grader_error, passed_result,
                                   report)
from course.grader import judges, judging
from course.grader.judges import GRADER_ERROR
from course.kernel.checks import gradient_flow as kernel_flow
from course.kernel.checks import paper as kernel_paper
from course.kernel.checks import verification as kernel_verification
from course.kernel.messages import GradingError
from support.notebook_grader import grade_cells
from support.paper_corpus import STEP_FORMULAS, student_chain
from support.verification_corpus import mutate

LATER_THAN_DZ2 = ("dL_dW2", "dL_db2", "dL_da1", "dL_dz1", "dL_dW1", "dL_db1")


def test_judgements_are_pure_and_checks_report_them(capsys):
    result = paper.judge_quantity("z1", {"z1": 0.4}, hidden=True)
    assert capsys.readouterr().out == ""  # a judgement prints nothing and raises nothing
    assert result.outcome is Outcome.FAILED and result.misconception == "forgot_the_bias"
    with pytest.raises(GradingError, match="forgot to add the bias"):
        paper.check_quantity("z1", {"z1": 0.4}, hidden=True)
    paper.check_quantity("z1", {"z1": 0.6}, hidden=True)
    assert capsys.readouterr().out.startswith("✓ z1 = 0.6 is right")


def test_same_protocol_in_all_three_modules():
    for module in (paper, verification, gradient_flow):
        judges = {name for name in module.__all__ if name.startswith("judge_")}
        assert judges, module.__name__
        for judge in judges:
            assert f"check_{judge.removeprefix('judge_')}" in module.__all__, (module.__name__, judge)


def test_notebook_1_root_counted_once_later_steps_carried():
    answers = student_chain({"dL_dz2": lambda v: v["dL_dy_pred"]})  # forgot σ'
    results = paper.grade_answers(answers)
    assert results["dL_dz2"].outcome is Outcome.FAILED
    assert results["dL_dz2"].misconception == "forgot_the_sigmoid_derivative"
    for name in LATER_THAN_DZ2:
        assert results[name].outcome is Outcome.CARRIED, (name, results[name])
        assert results[name].root == "dL_dz2", (name, results[name].root)
    for name in ("z1", "a1", "z2", "y_pred", "loss", "dL_dy_pred", "max_sigmoid_derivative"):
        assert results[name].outcome is Outcome.PASSED, name


def test_notebook_1_right_readings_are_not_carried():
    from support.paper_corpus import hint_path

    results = paper.grade_answers(hint_path(round_4dp=True))
    assert {r.outcome for r in results.values()} == {Outcome.PASSED}


def test_notebook_1_misconception_ids_for_formats():
    assert paper.judge_quantity("a1", {"a1": (0, 6457)}).misconception == "decimal_comma"
    assert paper.judge_quantity("a1", {"a1": "0.65"}).misconception == "not_a_number"
    unanswered = paper.judge_quantity("a1", {})
    assert unanswered.outcome is Outcome.NOT_ANSWERED and unanswered.misconception is None
    rounded = {**student_chain(), "a1": 0.65}
    assert paper.judge_quantity("a1", rounded, hidden=True).misconception == "too_few_significant_figures"


def test_notebook_2_gradient_outcomes():
    namespace: dict = {"np": np}
    exec(mutate(("dz1 = da1 * a1 * (1 - a1)", "dz1 = da1")), namespace)
    backward = namespace["backward_pass"]
    dz1 = verification.judge_gradient(backward, "dz1", hidden=True)
    assert dz1.outcome is Outcome.FAILED and dz1.misconception == "forgot_the_sigmoid_derivative"
    for key in ("dW1", "db1"):
        carried = verification.judge_gradient(backward, key, hidden=True)
        assert carried.outcome is Outcome.CARRIED and carried.root == "dz1", carried
    assert verification.judge_gradient(backward, "dW2", hidden=True).outcome is Outcome.PASSED
    visible = verification.judge_gradient(backward, "dW1")
    assert visible.outcome is Outcome.CARRIED  # Validate agrees with the hidden test


def test_notebook_3_outcomes():
    student = corpus.MUTANTS["tanh_derivative_without_square"]
    tanh = gradient_flow.judge_deep_backward(student["deep_backward"], "tanh", hidden=True)
    assert tanh.outcome is Outcome.FAILED and tanh.misconception == "gradient_into_hidden_layer"
    analysis = gradient_flow.judge_analyze_gradient_flow(student["analyze_gradient_flow"], student["deep_forward"],
                                                         student["deep_backward"], hidden=True)
    assert analysis.outcome is Outcome.CARRIED and analysis.root == "deep_backward"
    q2 = gradient_flow.judge_gradient_after_10_layers(2.5, hidden=True)
    assert q2.misconception == "factors_added"


def test_result_travels_as_json():
    result = passed_result("dL_dW2", "ok", carried_from="dL_dz2")
    assert Result.from_json(result.as_json()) == Result("dL_dW2", Outcome.CARRIED, "", None, "dL_dz2")
    assert failed_result("x", "no", "sign_flipped").as_json()["outcome"] == "failed"


def test_report_outside_a_kernel_prints_or_raises(capsys):
    report(passed_result("t", "fine"))
    assert capsys.readouterr().out == "✓ fine\n"
    with pytest.raises(GradingError, match="wrong"):
        report(failed_result("t", "wrong"))


def test_every_step_formula_is_covered():
    assert set(STEP_FORMULAS) <= set(paper.QUANTITIES)


def test_per_student_values_flow_into_the_judgement():
    """With a student's own given values, expected values, the error-carried-forward path and
    the misconception all come from those values, not from the exercise's."""
    own = {"x": 0.4, "y": 1.0, "W1": 0.7, "b1": -0.1, "W2": 0.5, "b2": 0.3}
    answers = student_chain({"dL_dz2": lambda v: v["dL_dy_pred"]}, given=own)   # forgot σ' at the output
    results = paper.grade_answers(answers, given=own)
    assert results["dL_dz2"].outcome is Outcome.FAILED
    assert results["dL_dz2"].misconception == "forgot_the_sigmoid_derivative"
    for name in LATER_THAN_DZ2:
        assert results[name].outcome is Outcome.CARRIED and results[name].root == "dL_dz2", (name, results[name])
    assert all(results[n].outcome is Outcome.PASSED for n in ("z1", "a1", "z2", "y_pred", "loss", "dL_dy_pred"))
    # The same numbers judged against the exercise's values follow from nothing the student was given.
    assert paper.judge_quantity("z1", answers, hidden=True).outcome is Outcome.FAILED
    # As the grader calls it: the literal values and carry_forward from answers_from_other_values.
    assert paper.answers_from_other_values(answers, own) == []
    dW2 = paper.judge_quantity("dL_dW2", answers, hidden=True, given=own, carry_forward=True)
    assert dW2.outcome is Outcome.CARRIED and dW2.root == "dL_dz2"


def test_autodiff_in_backward_pass_is_a_named_misconception():
    import tensorflow as tf

    def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
        with tf.GradientTape() as tape:
            w = tf.Variable(W2)
            loss = (w * a1 - y) ** 2
        dW2 = float(tape.gradient(loss, w))
        return {key: dW2 for key in verification.GRADIENT_KEYS}

    result = verification.judge_gradient(backward_pass, "dW2")
    assert result.outcome is Outcome.FAILED and result.misconception == "used_autodiff", result
    assert "automatic differentiation" in result.message


def test_not_answered_is_its_own_outcome_never_a_misconception_nor_wrong():
    from course.instructor import report

    namespace: dict = {}
    exec("def sigmoid(z):\n    raise NotImplementedError()", namespace)
    stub = verification.judge_sigmoid(namespace["sigmoid"])
    assert stub.outcome is Outcome.NOT_ANSWERED and not stub.passed and stub.misconception is None
    cell = {"outputs": [], "metadata": {}}
    assert report._outcome(stub, cell, 0.0, 1.0) == ("not_answered", "")
    wrong = verification.judge_sigmoid(lambda z: 0.0)
    assert report._outcome(wrong, cell, 0.0, 1.0)[0] == "failed"
    assert "not_answered" in report.OUTCOMES and "not_submitted" in report.OUTCOMES
    assert "not_answered" not in report.RIGHT


# --- a broken judge: one grader-error result, in one place per side ----------------------

def _broken(*args, **kwargs):
    raise RuntimeError("a bug in the check")


def _sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


# (module to break, what breaks, the judgement that reaches it) for each notebook and side
BROKEN_JUDGES = {
    "notebook 1, visible": ("course.kernel.checks.paper", "as_scalar",
                            lambda: kernel_paper.judge_quantity("z1", {"z1": 0.6})),
    "notebook 1, hidden": ("course.checks.paper", "_judge",
                           lambda: paper.judge_quantity("z1", {"z1": 0.6}, hidden=True)),
    "notebook 2, visible": ("course.kernel.checks.verification", "sigmoid_scalar",
                            lambda: kernel_verification.judge_sigmoid(_sigmoid)),
    "notebook 2, hidden": ("course.checks.verification", "_sigmoid_values",
                           lambda: verification.judge_sigmoid(_sigmoid, hidden=True)),
    "notebook 3, visible": ("course.kernel.checks.gradient_flow", "verify_forward",
                            lambda: kernel_flow.judge_deep_forward(corpus.forward_loop)),
    "notebook 3, hidden": ("course.checks.gradient_flow", "verify_forward",
                           lambda: gradient_flow.judge_deep_forward(corpus.forward_loop, hidden=True)),
}


@pytest.mark.parametrize("case", sorted(BROKEN_JUDGES))
def test_a_broken_judge_is_one_grader_error_result(case, monkeypatch):
    module, name, judge = BROKEN_JUDGES[case]
    assert judge().passed, "the unbroken judge passes this answer"
    monkeypatch.setattr(f"{module}.{name}", _broken)
    result = judge()
    assert result.outcome is Outcome.FAILED and result.misconception == GRADER_ERROR, result
    assert "please tell your instructor" in result.message and "(RuntimeError)" in result.message
    assert "Traceback" not in result.message and "a bug in the check" not in result.message


def test_a_broken_check_raises_only_its_grading_error(monkeypatch, capsys):
    monkeypatch.setattr("course.kernel.checks.gradient_flow.verify_forward", _broken)
    with pytest.raises(GradingError, match="please tell your instructor") as failure:
        kernel_flow.check_deep_forward(corpus.forward_loop)
    assert failure.value.__cause__ is None and failure.value.__context__ is None
    assert "Traceback" not in capsys.readouterr().out


def test_the_grader_turns_a_bug_outside_a_judge_into_a_grader_error(monkeypatch):
    """Replay (course.grader.judges) is the grader side's one place: a bug where no judge
    runs (here: the judge table itself) costs that test, with the same result."""
    cell = judging.plan_cell("check_deep_forward(deep_forward, hidden=True)")
    monkeypatch.setattr(judges, "judge_for", lambda declaration: _broken)
    report = {"calls": [{}] * len(cell.plan.calls), "names": {}}
    result = judges.replay(cell.declarations[0], cell.kwargs[0], cell.plan, report)
    assert result.outcome is Outcome.FAILED and result.misconception == GRADER_ERROR
    assert result.message == grader_error("deep_forward", RuntimeError()).message


def test_grading_a_broken_judge_scores_zero_without_a_crash(monkeypatch):
    """In-process grading (tests/support/notebook_grader.py): record, report and replay survive a
    judge that breaks, and the student reads the grader-error message."""
    monkeypatch.setattr("course.checks.gradient_flow.verify_forward", _broken)
    source = "check_deep_forward(deep_forward)\ncheck_deep_forward(deep_forward, hidden=True)"
    outcome = grade_cells({"deep_forward": corpus.forward_loop}, [("test_deep_forward", source, 2)])["test_deep_forward"]
    assert outcome.points == 0 and "please tell your instructor" in outcome.message, outcome.message
    assert "Traceback" not in outcome.message
