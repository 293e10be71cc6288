"""Visible checks of notebook 3, gradient flow through a deep network (student side).

The student writes, in the column-vector convention of :mod:`course.exercise.networks`,
``deep_forward(x, params, activation)``, ``deep_backward(y, zs, activations, params,
activation)`` and ``analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid",
seed=0)`` (see ``course.checks.gradient_flow``, the grader's judges, for the contract).

The visible checks run each function on the visible networks (small, fixed
``init_params`` weights) and compare with constant tables of what ``tf.GradientTape``
gives there (:mod:`.expected`); no oracle runs in the kernel.  How a function is judged
on one network (comparisons, diagnoses, error carried forward) is
:mod:`.network_case`'s, which the grader's hidden judges share.  The phenomenon check
(graded as it is) needs no table: it judges the ratio of the student's own norms, and
error carried forward compares with the student's own ``deep_forward``/``deep_backward``,
which the analysis checks take as arguments.  Every check takes the student's objects
(functions, the reflection's number), never the notebook's namespace; student functions
are called only through :func:`course.kernel.calls.call_student`.

Called with ``hidden=True`` (and the grader's ``seed``), a check does nothing and returns
None: the hidden tests are judged by the grader, outside the student's process.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from course.kernel.coerce import as_scalar
from course.kernel.messages import GradingError, fmt
from course.exercise.networks import DEMO_LAYER_SIZES, DEMO_X, DEMO_Y, init_params
from course.kernel.pristine import float, isinstance, len, list, max, min, zip
from course.kernel.result import Result, judgement, passed_result, reporting
from course.kernel.checks.expected import table
from course.kernel.checks.network_case import (ATOL_FRACTION, RTOL, NetworkCase, analysis_case, verify_analyses, analysis_outcome,
                           verify_backward, verify_forward, own_results, student_norms)

__all__ = [
    "judge_deep_forward", "judge_deep_backward", "judge_analyze_gradient_flow",
    "judge_vanishing_phenomenon", "judge_gradient_after_10_layers",
    "check_deep_forward", "check_deep_backward", "check_analyze_gradient_flow",
    "check_vanishing_phenomenon", "check_gradient_after_10_layers",
    "phenomenon_ratios", "RTOL", "ATOL_FRACTION", "SIGMOID_MAX_FIRST_OVER_LAST", "RELU_MAX_SPREAD",
]

SIGMOID_MAX_FIRST_OVER_LAST = 0.1  # sigmoid: first layer at least 10x smaller than the last
RELU_MAX_SPREAD = 4.0  # relu: largest / smallest layer norm within this factor

# The visible cases (tests/checks/test_visible_expected.py computes their tables from the oracles).
_FORWARD_VISIBLE = [((3, 4, 2, 1), 11, "sigmoid")]
_BACKWARD_VISIBLE = [dict(sizes=(3, 4, 2, 1), seed=32)]
_ANALYZE_VISIBLE = [((3, 4, 2, 1), "sigmoid", 0, 1.0), ((2, 5, 1), "relu", 1, 0.0)]


def _arrays(values) -> list:
    return [np.array(v, dtype=np.float64) for v in values]


class _Case(NetworkCase):
    """One visible network: ``init_params`` weights, its input, and the table's expectations
    (``zs``, ``activations``, ``grads``, ``norms``; None where the check needs none)."""

    def __init__(self, sizes: Sequence[int], seed: int, activation: str, *, y: float = 1.0, x,
                 expected: Mapping[str, Any] | None = None):
        super().__init__(sizes, seed, activation, y=y, x=x, params=init_params(list(sizes), seed, scale=1.0))
        expected = expected or {}
        self.zs = _arrays(expected["zs"]) if "zs" in expected else None
        self.activations = _arrays(expected["activations"]) if "activations" in expected else None
        self.grads = [tuple(_arrays(pair)) for pair in expected["grads"]] if "grads" in expected else None
        self.norms = np.array(expected["norms"], dtype=np.float64) if "norms" in expected else None
        self.expected = expected

    def mistaken_norms(self, mistake: str) -> list:
        return self.expected[mistake]


# --------------------------------------------------------------------------- forward
@judgement("deep_forward")
def judge_deep_forward(deep_forward: Callable, *, hidden: bool = False,
                       seed: int | None = None) -> Result | None:
    """``deep_forward(x, params, activation)`` on the visible network against the tape's
    forward values there.  Hidden: None here (the grader judges it)."""
    if hidden:
        return None
    (sizes, seed, activation), = _FORWARD_VISIBLE
    verify_forward(deep_forward, _Case(sizes, seed, activation, x=table("deep_forward")["x"],
                                           expected=table("deep_forward")))
    return passed_result("deep_forward", "deep_forward matches TensorFlow on 1 network(s)")


# --------------------------------------------------------------------------- backward
@judgement(lambda deep_backward, activation, **_: f"deep_backward[{activation}]")
def judge_deep_backward(deep_backward: Callable, activation: str, *, hidden: bool = False,
                        seed: int | None = None) -> Result | None:
    """``deep_backward(y, zs, activations, params, activation)`` on the visible network
    against the tape's dW and db there (it is given the right forward values).
    Hidden: None here (the grader judges it)."""
    if hidden:
        return None
    (spec,) = _BACKWARD_VISIBLE
    expected = table("deep_backward")[activation]
    verify_backward(deep_backward, _Case(spec["sizes"], spec["seed"], activation, x=expected["x"],
                                             expected=expected))
    return passed_result(f"deep_backward[{activation}]",
                         f"deep_backward ({activation}) matches tf.GradientTape on 1 network(s)")


# --------------------------------------------------------------------------- analyze
@judgement("analyze_gradient_flow")
def judge_analyze_gradient_flow(analyze: Callable, deep_forward: Callable | None = None,
                                deep_backward: Callable | None = None, *,
                                hidden: bool = False, seed: int | None = None) -> Result | None:
    """``analyze_gradient_flow`` returns the per-layer ``||dL/dW||_F`` of the two visible
    networks, or what the student's own ``deep_forward``/``deep_backward`` give there
    (error carried forward; without them, TensorFlow's only).  Hidden: None here."""
    if hidden:
        return None
    cases = [_Case(sizes, seed, activation, y=y, x=entry["x"], expected=entry)
             for (sizes, activation, seed, y), entry in zip(_ANALYZE_VISIBLE, table("analyze"))]
    return verify_analyses(analyze, (deep_forward, deep_backward), cases)


# --------------------------------------------------------------------------- phenomenon
def phenomenon_ratios(sigmoid_norms: np.ndarray, relu_norms: np.ndarray) -> tuple[float, float]:
    """``(sigmoid first/last, relu largest/smallest)`` of two per-layer norm arrays."""
    s = [float(v) for v in sigmoid_norms]
    r = [float(v) for v in relu_norms]
    sigmoid_ratio = s[0] / s[-1] if s[-1] > 0 else float("inf")
    relu_spread = max(r) / min(r) if min(r) > 0 else float("inf")
    return sigmoid_ratio, relu_spread


@judgement("vanishing_phenomenon")
def judge_vanishing_phenomenon(analyze: Callable, deep_forward: Callable | None = None,
                               deep_backward: Callable | None = None) -> Result:
    """At the default seed the 5-layer sigmoid network's first layer gets a gradient at
    least 10x smaller than its last, and the ReLU network's norms stay within 4x (graded
    as it is).  An analysis that agrees with the student's own ``deep_forward`` /
    ``deep_backward`` passes too: the slip that hides the phenomenon is charged in the
    backward tests, once."""
    L = len(DEMO_LAYER_SIZES) - 1
    cases = [_Case(DEMO_LAYER_SIZES, 0, activation, y=DEMO_Y, x=DEMO_X) for activation in ("sigmoid", "relu")]
    own = (deep_forward, deep_backward)
    results = [analysis_case(analyze, case) for case in cases]
    own_results(own, cases)

    def carried_forward() -> bool:
        try:
            return "carried" in [analysis_outcome(result, case, own) for result, case in zip(results, cases)]
        except GradingError:
            return False

    if any(isinstance(result, GradingError) for result in results):
        if carried_forward():
            return passed_result("vanishing_phenomenon", "your analysis fails exactly where your own "
                                 "deep_backward does (its own tests say why)", carried_from="deep_backward")
        raise next(result for result in results if isinstance(result, GradingError))
    (sig, _), (relu, _) = (student_norms(r, c) for r, c in zip(results, cases))
    for name, values in (("sigmoid", sig), ("relu", relu)):
        for value in values.tolist():
            if not value == value or value < 0 or value == float("inf"):
                raise GradingError(f"the {name} norms should be finite and non-negative, got {fmt(value)}.")
    sigmoid_ratio, relu_spread = phenomenon_ratios(sig, relu)
    if sigmoid_ratio <= SIGMOID_MAX_FIRST_OVER_LAST and relu_spread <= RELU_MAX_SPREAD:
        return passed_result("vanishing_phenomenon", f"sigmoid: first/last = {fmt(sigmoid_ratio)} (vanishing); "
                                                     f"relu: spread {fmt(relu_spread)}x (stable)")
    if carried_forward():
        return passed_result("vanishing_phenomenon",
                             "your analysis is right for your own deep_backward, whose slip hides the phenomenon "
                             "here (its own test says where); with correct gradients the sigmoid network's first "
                             "layer gets a far smaller gradient than its last", carried_from="deep_backward")
    if not sigmoid_ratio <= SIGMOID_MAX_FIRST_OVER_LAST:
        raise GradingError(
            f"for the {L}-layer sigmoid network (layer_sizes={list(DEMO_LAYER_SIZES)}, seed=0) the first "
            f"layer's gradient norm should be at least 10x smaller than the last layer's, but "
            f"first/last = {fmt(sigmoid_ratio)}. Is index 0 the layer nearest the input?", "no_vanishing_shown")
    raise GradingError(
        f"for the {L}-layer ReLU network the layer norms should stay within a factor "
        f"{RELU_MAX_SPREAD:g} of each other, but largest/smallest = {fmt(relu_spread)}.", "relu_not_stable")


# --------------------------------------------------------------------------- reflection
@judgement("gradient_after_10_layers")
def judge_gradient_after_10_layers(gradient_after_10_layers: Any, *, hidden: bool = False) -> Result | None:
    """Reflection Q2: the student's ``gradient_after_10_layers`` is a number.  Its value
    is a hidden test (None here: the grader judges it)."""
    if hidden:
        return None
    name = "gradient_after_10_layers"
    as_scalar(gradient_after_10_layers, name)
    return passed_result(name, f"{name} is a number")


check_deep_forward = reporting(judge_deep_forward)
check_deep_backward = reporting(judge_deep_backward)
check_analyze_gradient_flow = reporting(judge_analyze_gradient_flow)
check_vanishing_phenomenon = reporting(judge_vanishing_phenomenon)
check_gradient_after_10_layers = reporting(judge_gradient_after_10_layers)
