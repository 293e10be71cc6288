"""Visible checks of notebook 2, ``02_code_verification.ipynb`` (student side).

Each check takes the student's function, calls it only through
:func:`course.kernel.calls.call_student`, coerces what comes back with :mod:`course.kernel.coerce`
and returns a :class:`~course.kernel.result.Result` (``check_*`` shows it, or raises
:class:`~course.kernel.messages.GradingError` naming the likely misconception).

What the visible checks look at:

- ``sigmoid``: sigmoid(0) = 0.5 and 0.5 < sigmoid(2) < 1;
- ``sigmoid_extremes`` (graded as it is): no overflow warning at |z| = 1000, the limits
  0 and 1, and arrays in, arrays out (σ of the test array is a constant table);
- ``forward_pass``: four finite numbers at the exercise's values, y_pred in (0, 1);
- ``binary_cross_entropy``: a positive loss for (1, 0.7);
- ``bce_edges`` (graded as it is): finite, warning-free loss at y_pred exactly 0 and 1;
- ``gradient``: each gradient of ``backward_pass`` at the check point
  :data:`~course.kernel.checks.expected.GRADIENT_EXAMPLE` (x = 1.5, y = 0, W1 = -0.7,
  b1 = 0.3, W2 = 1.1, b2 = -0.4; away from notebook 1's values) against the tape's
  values there, a constant table; a value that follows by the chain rule from the
  student's own upstream gradient passes too (error carried forward).

Called with ``hidden=True`` (and the hidden test's ``seed``), a check does nothing and
returns None: the hidden tests are judged by the grader against its oracles, outside
the student's process.  Tolerances are the grader's (course/exercise/constants.py).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course.exercise import constants as exercise
from course.kernel.coerce import as_array, as_scalar, close, first_mismatch
from course.kernel.messages import GradingError, fmt
from course.kernel.pristine import dict, float
from course.kernel.calls import call_student
from course.kernel.result import Result, judgement, passed_result, reporting
from course.kernel.checks.expected import GRADIENT_EXAMPLE, table
from course.kernel.checks.two_layer import (ATOL, FORMULA, GRADIENT_KEYS, LATEX, RTOL, UPSTREAM, call_backward, forward_outputs,
                        gradient_atol, gradient_value, hypotheses, sigmoid_scalar)

__all__ = [
    "RTOL", "ATOL", "EXERCISE_VALUES", "GRADIENT_EXAMPLE", "GRADIENT_KEYS",
    "judge_sigmoid", "judge_sigmoid_extremes", "judge_forward_pass", "judge_bce", "judge_bce_edges",
    "judge_gradient",
    "check_sigmoid", "check_sigmoid_extremes", "check_forward_pass", "check_bce", "check_bce_edges",
    "check_gradient",
]

EXERCISE_VALUES = dict(exercise.EXERCISE_VALUES)
_PARAMETERS = exercise.GIVEN_NAMES


def _describe(values: dict, names=_PARAMETERS) -> str:
    return ", ".join(f"{name}={fmt(float(values[name]))}" for name in names)


# --- sigmoid ------------------------------------------------------------------------

@judgement("sigmoid")
def judge_sigmoid(sigmoid: Callable, *, hidden: bool = False, seed: int | None = None) -> Result | None:
    """Visible: sigmoid(0) = 0.5 and 0.5 < sigmoid(2) < 1.  Hidden: judged by the grader (None here)."""
    if hidden:
        return None
    value, _ = sigmoid_scalar(sigmoid, 0.0)
    if not close(value, 0.5, 1e-6):
        raise GradingError(f"sigmoid(0) should be 0.5, but it is {fmt(value)}.")
    value, _ = sigmoid_scalar(sigmoid, 2.0)
    if not 0.5 < value < 1.0:
        raise GradingError(f"sigmoid(2.0) should lie between 0.5 and 1, but it is {fmt(value)}.")
    return passed_result("sigmoid", "sigmoid returns sensible numbers (the hidden tests check many more values)")


@judgement("sigmoid_extremes")
def judge_sigmoid_extremes(sigmoid: Callable) -> Result:
    """No overflow warning at |z| = 1000, limits 0 and 1, arrays in, arrays out."""
    for z, limit in ((1000.0, 1.0), (-1000.0, 0.0), (750.0, 1.0), (-750.0, 0.0)):
        got, warned = sigmoid_scalar(sigmoid, z)
        if warned:
            raise GradingError(
                f"sigmoid({fmt(z)}) triggers a numpy warning ({warned[0]}). 1/(1 + np.exp(-z)) "
                "overflows for large negative z: clip z (e.g. to [-500, 500]) or use a form "
                "that never takes exp of a large positive number (np.where evaluates both branches, "
                "so both must be safe).", "overflow_at_large_z"
            )
        if not close(got, limit, 0.0, 1e-6):
            raise GradingError(f"sigmoid({fmt(z)}) should be about {fmt(limit)}, but it is {fmt(got)}.")
    extremes = table("sigmoid_extremes")
    z = np.array(extremes["z"], dtype=np.float64)
    try:
        call = call_student(sigmoid, z.copy(), what="sigmoid(np.array([[-1000, -50, -1], [0, 3, 1000]]))")
    except GradingError as error:
        raise GradingError(
            f"{error}\nsigmoid must also work element-wise on numpy arrays: no if-statement "
            "or math.exp on z; use np.exp with np.clip or np.where.", "not_elementwise"
        ) from None
    if call.runtime_warnings():
        raise GradingError(
            f"sigmoid on an array with entries ±1000 triggers a numpy warning "
            f"({call.runtime_warnings()[0]}): make the overflow-safe version work element-wise "
            "(np.clip or np.where on arrays, not an if-statement).", "overflow_at_large_z"
        )
    got = as_array(call.value, "sigmoid(array of shape (2, 3))")
    if got.shape != z.shape:
        raise GradingError(
            f"sigmoid of an array of shape {z.shape} should return the same shape, "
            f"but it returned shape {got.shape}."
        )
    bad = first_mismatch(got, np.array(extremes["sigmoid"], dtype=np.float64), RTOL, 1e-9)
    if bad is not None:
        index, g, e = bad
        raise GradingError(
            f"sigmoid on an array: element {index} (z = {fmt(float(z[index]))}) should be "
            f"{fmt(e)}, but it is {fmt(g)}."
        )
    return passed_result("sigmoid_extremes", "sigmoid is overflow-safe at |z| = 1000 and works element-wise on arrays")


# --- forward pass ----------------------------------------------------------------------

@judgement("forward_pass")
def judge_forward_pass(forward_pass: Callable, *, hidden: bool = False, seed: int | None = None) -> Result | None:
    """Visible: four finite numbers at the exercise's values, y_pred in (0, 1).  Hidden: None here."""
    if hidden:
        return None
    args = [float(exercise.EXERCISE_VALUES[k]) for k in ("x", "W1", "b1", "W2", "b2")]
    what = f"forward_pass({_describe(exercise.EXERCISE_VALUES, ('x', 'W1', 'b1', 'W2', 'b2'))})"
    values = forward_outputs(forward_pass, args, what)
    if not 0.0 < values[3] < 1.0:
        raise GradingError(f"y_pred should be a probability between 0 and 1, but it is {fmt(values[3])}.")
    return passed_result("forward_pass", "forward_pass returns four numbers (z1, a1, z2, y_pred)")


# --- binary cross-entropy ------------------------------------------------------------

@judgement("binary_cross_entropy")
def judge_bce(binary_cross_entropy: Callable, *, hidden: bool = False, seed: int | None = None) -> Result | None:
    """Visible: a finite, positive loss for y_true = 1, y_pred = 0.7.  Hidden: None here."""
    if hidden:
        return None
    what = "binary_cross_entropy(1, 0.7)"
    loss = as_scalar(call_student(binary_cross_entropy, 1.0, 0.7, what=what).value, what)
    if not loss > 0.0:
        raise GradingError(
            f"binary_cross_entropy(1, 0.7) should be a positive number, but it is {fmt(loss)}: "
            "a wrong sign? Mind the minus in front of the bracket.", "sign_error"
        )
    return passed_result("binary_cross_entropy", "binary_cross_entropy returns a positive number")


@judgement("bce_edges")
def judge_bce_edges(binary_cross_entropy: Callable) -> Result:
    """Finite, warning-free loss at y_pred exactly 0 and 1 (graded as it is)."""
    for y, p in ((1.0, 1.0), (0.0, 0.0), (1.0, 0.0), (0.0, 1.0)):
        what = f"binary_cross_entropy({fmt(y)}, {fmt(p)})"
        call = call_student(binary_cross_entropy, y, p, what=what)
        value = as_array(call.value, what)
        if value.size != 1 or not np.isfinite(value).all():
            raise GradingError(
                f"{what} should be finite, but it is {value.reshape(-1).tolist()}: log(0) is -inf "
                "(and 0 * log(0) is nan). Add a small epsilon inside the logs or clip y_pred "
                "to [eps, 1 - eps], e.g. eps = 1e-7.", "log_of_zero"
            )
        if call.runtime_warnings():
            raise GradingError(
                f"{what} triggers a numpy warning ({call.runtime_warnings()[0]}): log(0) is "
                "evaluated. Clip y_pred to [eps, 1 - eps] (or add eps) before taking logs.", "log_of_zero"
            )
        loss = float(value.reshape(-1)[0])
        if y == p and not abs(loss) <= 1e-3:
            raise GradingError(f"{what} is a perfect prediction: the loss should be about 0, but it is {fmt(loss)}.")
        if y != p and not abs(loss) >= 5.0:
            raise GradingError(
                f"{what} is a certain, wrong prediction: the loss should be large (about -log(eps)), "
                f"but it is {fmt(loss)}. Is the epsilon far too large?", "epsilon_too_large"
            )
    return passed_result("bce_edges", "binary_cross_entropy stays finite at y_pred = 0 and y_pred = 1")


# --- backward pass ------------------------------------------------------------------

def _likely_cause(key: str, got: float, reference: dict, point: dict, atol: float) -> tuple[str, str | None]:
    """("Likely cause: …", its misconception id) when a known mistake explains ``got``,
    else (the chain rule, None)."""
    for misconception, reason, value in hypotheses(key, reference, point):
        if close(got, float(value), RTOL, atol):
            return f"Likely cause: {reason}.", misconception
    return f"The chain rule here: {FORMULA[key]}.", None


def _follows_from_own_upstream(key: str, got: float, result: dict, point: dict, reference: dict) -> bool:
    """``got`` equals the tape's local derivative times the student's own (wrong) upstream."""
    if key not in UPSTREAM:
        return False
    up_key, local_key = UPSTREAM[key]
    try:
        upstream = as_scalar(result.get(up_key), up_key)
    except GradingError:
        return False
    up_atol = gradient_atol(up_key, point["W2"], point["x"])
    if not np.isfinite(upstream) or close(upstream, reference[up_key], RTOL, up_atol):
        return False
    return close(got, upstream * reference[local_key], RTOL, gradient_atol(key, point["W2"], point["x"]))


@judgement(lambda backward_pass, key, **_: f"backward_pass['{key}']")
def judge_gradient(backward_pass: Callable, key: str, *, hidden: bool = False,
                   seed: int | None = None) -> Result | None:
    """Visible: gradient ``key`` of ``backward_pass`` at :data:`GRADIENT_EXAMPLE` matches the
    tape there, or follows from the student's own upstream gradient (error carried
    forward, as in the hidden test, so Validate never fails a cell the hidden test gives
    credit for).  ``backward_pass`` gets the right forward values.  Hidden: None here."""
    if key not in GRADIENT_KEYS:
        raise ValueError(f"unknown gradient key {key!r}")
    if hidden:
        return None
    point = dict(GRADIENT_EXAMPLE)
    reference = table("gradient_example")
    args = [float(v) for v in (point["x"], point["y"], reference["z1"], reference["a1"], reference["z2"],
                                reference["y_pred"], point["W1"], point["b1"], point["W2"], point["b2"])]
    what = f"backward_pass({_describe(point)}, and the matching z1, a1, z2, y_pred)"
    result = call_backward(backward_pass, args, what)
    got = gradient_value(result, key, "backward_pass(the check point)")
    atol = gradient_atol(key, point["W2"], point["x"])
    test = f"backward_pass['{key}']"
    if close(got, reference[key], RTOL, atol):
        return passed_result(test, f"backward_pass's '{key}' ({LATEX[key]}) matches TensorFlow at the "
                                   "check point (the hidden tests check many more inputs)")
    if _follows_from_own_upstream(key, got, result, point, reference):
        return passed_result(test, f"backward_pass's '{key}' ({LATEX[key]}) follows from your own "
                                   f"{UPSTREAM[key][0]} at the check point", carried_from=UPSTREAM[key][0])
    cause, misconception = _likely_cause(key, got, reference, point, atol)
    raise GradingError(
        f"{LATEX[key]} (key '{key}') at the check point {_describe(point)} does not "
        f"match TensorFlow's GradientTape: you returned {fmt(got)}.\n"
        + cause
        + f"\nverify_with_tensorflow({_describe(point)}) shows the tape's dW1, db1, dW2 and db2 there.",
        misconception,
    )


check_sigmoid = reporting(judge_sigmoid)
check_sigmoid_extremes = reporting(judge_sigmoid_extremes)
check_forward_pass = reporting(judge_forward_pass)
check_bce = reporting(judge_bce)
check_bce_edges = reporting(judge_bce_edges)
check_gradient = reporting(judge_gradient)
