"""The student-side visible checks (course.kernel.checks) give the grader's visible verdicts.

For every student of the in-process corpora (notebook 2's correct variants and mutants,
notebook 3's, notebook 1's odd answers) each visible judge of course.kernel.checks is
compared with the grader's judge of the same name (course.checks) called visibly: the
same outcome and misconception (the grader judges a visible call with the student-side
judge, as in grading, so this keeps the two modules' visible calls from drifting apart).
Hidden calls do nothing in the kernel and return None.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from support import gradient_flow_corpus as flow_corpus
from course.checks import gradient_flow as grader_flow
from course.checks import paper as grader_paper
from course.checks import verification as grader_verification
from course.kernel.checks import gradient_flow as kernel_flow
from course.kernel.checks import paper as kernel_paper
from course.kernel.checks import verification as kernel_verification
from course.kernel.result import Outcome
from support.exercise_answers import EXERCISE, notebook_1_answers
from notebook2.test_verification_checks import CORRECT as NB2_CORRECT
from notebook2.test_verification_checks import MUTANTS as NB2_MUTANTS

PAIRS = ((kernel_paper, grader_paper), (kernel_verification, grader_verification), (kernel_flow, grader_flow))


def _verdict(result):
    return (result.test, result.outcome, result.misconception)


def test_every_notebook_check_has_the_graders_signature():
    for kernel, grader in PAIRS:
        names = [n for n in vars(grader) if n.startswith(("check_", "judge_")) and callable(getattr(grader, n))]
        if kernel is kernel_paper:
            names = ["judge_quantity", "check_quantity"]
        for name in names:
            ours, theirs = (inspect.signature(getattr(m, name)).parameters for m in (kernel, grader))
            assert list(ours.values()) == list(theirs.values()), name


# --- notebook 1 -------------------------------------------------------------------------

class _Odd:
    def __float__(self):
        raise RuntimeError("no")


NB1_ANSWERS = {
    "right": notebook_1_answers(**EXERCISE),
    "strings and arrays": {"z1": "0.6", "a1": np.array([[0.6457]]), "z2": np.float32(0.4874), "loss": None},
    "nan, inf, odd objects": {"z1": float("nan"), "a1": float("inf"), "z2": _Odd(), "y_pred": [0.6, 0.7]},
    "empty": {},
}


@pytest.mark.parametrize("student", sorted(NB1_ANSWERS))
def test_paper_visible_results_are_the_graders(student):
    namespace = dict(NB1_ANSWERS[student])
    for name in (*kernel_paper.QUANTITIES, "max_sigmoid_derivative"):
        assert kernel_paper.judge_quantity(name, namespace) == grader_paper.judge_quantity(name, namespace), name


# --- notebook 2 -------------------------------------------------------------------------

_NB2 = {name: source for name, source in NB2_CORRECT.items()}
_NB2.update({name: source for name, (source, _) in NB2_MUTANTS.items()
             if not name.startswith(("tampering", "hard-coded"))})


def _nb2_functions(source: str) -> dict:
    namespace: dict = {"__name__": "__main__", "np": np}
    exec(compile(source, "<student>", "exec"), namespace)  # noqa: S102 - the corpus
    return namespace


@pytest.mark.parametrize("student", sorted(_NB2))
def test_verification_visible_verdicts_are_the_graders(student):
    f = _nb2_functions(_NB2[student])
    for judge in ("judge_sigmoid", "judge_sigmoid_extremes"):
        assert _verdict(getattr(kernel_verification, judge)(f["sigmoid"])) == \
            _verdict(getattr(grader_verification, judge)(f["sigmoid"])), judge
    assert kernel_verification.judge_forward_pass(f["forward_pass"]) == \
        grader_verification.judge_forward_pass(f["forward_pass"])
    for judge in ("judge_bce", "judge_bce_edges"):
        assert getattr(kernel_verification, judge)(f["binary_cross_entropy"]) == \
            getattr(grader_verification, judge)(f["binary_cross_entropy"]), judge
    for key in kernel_verification.GRADIENT_KEYS:
        ours = kernel_verification.judge_gradient(f["backward_pass"], key)
        theirs = grader_verification.judge_gradient(f["backward_pass"], key)
        assert _verdict(ours) == _verdict(theirs), (key, ours.message, theirs.message)


def test_visible_gradient_check_fails_a_wrong_gradient_and_carries_forward():
    f = _nb2_functions(NB2_MUTANTS["missing sigmoid derivative, layer 1"][0])
    assert kernel_verification.judge_gradient(f["backward_pass"], "dz1").outcome is Outcome.FAILED
    carried = kernel_verification.judge_gradient(f["backward_pass"], "dW1")
    assert carried.outcome is Outcome.CARRIED and carried.root == "dz1"


def test_gradients_hard_coded_at_the_worked_example_fail_the_visible_check_now():
    """The grader's visible check judged at the worked example, where hard-coded numbers
    passed until the hidden tests; at the new check point none is right (a later one may
    still follow from its own hard-coded upstream, which one point cannot tell from a slip)."""
    f = _nb2_functions(NB2_MUTANTS["hard-coded worked-example values"][0])
    outcomes = {key: kernel_verification.judge_gradient(f["backward_pass"], key).outcome
                for key in kernel_verification.GRADIENT_KEYS}
    assert Outcome.PASSED not in outcomes.values(), outcomes
    assert outcomes["dy_pred"] is outcomes["dz2"] is Outcome.FAILED


# --- notebook 3 -------------------------------------------------------------------------

_NB3 = {**{f"correct {k}": v for k, v in flow_corpus.CORRECT.items()},
        **{f"mutant {k}": v for k, v in flow_corpus.MUTANTS.items()}}


@pytest.mark.parametrize("student", sorted(_NB3))
def test_gradient_flow_visible_results_are_the_graders(student):
    s = dict(_NB3[student])
    assert kernel_flow.judge_deep_forward(s["deep_forward"]) == grader_flow.judge_deep_forward(s["deep_forward"])
    for activation in ("sigmoid", "relu", "tanh"):
        assert kernel_flow.judge_deep_backward(s["deep_backward"], activation) == \
            grader_flow.judge_deep_backward(s["deep_backward"], activation), activation
    analyze, own = s["analyze_gradient_flow"], (s["deep_forward"], s["deep_backward"])
    assert kernel_flow.judge_analyze_gradient_flow(analyze, *own) == \
        grader_flow.judge_analyze_gradient_flow(analyze, *own)
    assert _verdict(kernel_flow.judge_vanishing_phenomenon(analyze, *own)) == \
        _verdict(grader_flow.judge_vanishing_phenomenon(analyze, *own))
    q2 = s.get("gradient_after_10_layers")
    assert kernel_flow.judge_gradient_after_10_layers(q2) == grader_flow.judge_gradient_after_10_layers(q2)


# --- hidden calls ------------------------------------------------------------------------

def _never_called(*args, **kwargs):
    raise AssertionError("a hidden check called student code in the kernel")


@pytest.mark.parametrize("call", [
    lambda: kernel_paper.check_quantity("dL_dz2", {"dL_dz2": 1.0}, hidden=True, given=dict(EXERCISE),
                                        carry_forward=False),
    lambda: kernel_paper.check_quantity("z1", {}, hidden=True),
    lambda: kernel_verification.check_sigmoid(_never_called, hidden=True, seed=2101),
    lambda: kernel_verification.check_forward_pass(_never_called, hidden=True, seed=2201),
    lambda: kernel_verification.check_bce(_never_called, hidden=True, seed=2301),
    lambda: kernel_verification.check_gradient(_never_called, "dz1", hidden=True, seed=2401),
    lambda: kernel_flow.check_deep_forward(_never_called, hidden=True),
    lambda: kernel_flow.check_deep_backward(_never_called, "relu", hidden=True),
    lambda: kernel_flow.check_analyze_gradient_flow(_never_called, _never_called, _never_called, hidden=True),
    lambda: kernel_flow.check_gradient_after_10_layers(0.25 ** 10, hidden=True),
], ids=lambda call: "")
def test_hidden_calls_do_nothing(call, capsys):
    assert call() is None
    assert capsys.readouterr().out == ""
