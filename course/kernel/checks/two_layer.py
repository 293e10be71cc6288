"""How notebook 2's functions are called and read, and how a wrong gradient is explained
(student side, shared).

The visible checks (:mod:`.verification`) and the grader's hidden judges
(``course.checks.verification``) call the student's ``sigmoid``, ``forward_pass`` and
``backward_pass`` the same way and read what comes back the same way; a wrong gradient
is explained with the same words: its formula (:data:`FORMULA`), the upstream gradient
it chains (:data:`UPSTREAM`, for error carried forward) and the values common mistakes
give (:func:`hypotheses`).  Tolerances are the exercise's (course/exercise/constants.py).
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from course.exercise import constants as exercise
from course.kernel.coerce import as_scalar
from course.kernel.messages import GradingError, fmt
from course.kernel.pristine import abs, dict, float, isinstance, len
from course.kernel.calls import call_student

__all__ = ["RTOL", "ATOL", "GRADIENT_KEYS", "LATEX", "FORMULA", "UPSTREAM", "AUTODIFF_MESSAGE",
           "sigmoid_scalar", "forward_outputs", "call_backward", "gradient_value", "gradient_atol", "hypotheses"]

RTOL = exercise.VERIFICATION_RTOL
ATOL = exercise.VERIFICATION_ATOL
GRADIENT_KEYS = exercise.GRADIENT_KEYS

LATEX = {key: f"dL/{key}" for key in GRADIENT_KEYS}
FORMULA = {
    "dy_pred": "dL/dy_pred = -y/y_pred + (1-y)/(1-y_pred)",
    "dz2": "dL/dz2 = dL/dy_pred * y_pred * (1 - y_pred)   (which simplifies to y_pred - y)",
    "dW2": "dL/dW2 = dL/dz2 * a1",
    "db2": "dL/db2 = dL/dz2",
    "da1": "dL/da1 = dL/dz2 * W2",
    "dz1": "dL/dz1 = dL/da1 * a1 * (1 - a1)",
    "dW1": "dL/dW1 = dL/dz1 * x",
    "db1": "dL/db1 = dL/dz1",
}
# Which upstream gradient and which local derivative (from the tape) each one chains.
UPSTREAM = {
    "dz2": ("dy_pred", "dy_pred/dz2"), "dW2": ("dz2", "dz2/dW2"), "db2": ("dz2", "dz2/db2"),
    "da1": ("dz2", "dz2/da1"), "dz1": ("da1", "da1/dz1"), "dW1": ("dz1", "dz1/dW1"), "db1": ("dz1", "dz1/db1"),
}
# What backward_pass is told when automatic differentiation ran while it ran (what ran is
# observed by course.kernel.autodiff, never guessed from names).
AUTODIFF_MESSAGE = (
    "backward_pass must compute the gradients by hand with the chain rule, but while it ran "
    "it used automatic differentiation: {used}. Keep GradientTape for verify_with_tensorflow "
    "and call that outside backward_pass, to compare against."
)


def sigmoid_scalar(sigmoid: Callable, z: float) -> tuple[float, list[str]]:
    """``sigmoid(z)`` as a float, and the numpy warnings the call raised."""
    call = call_student(sigmoid, z, what=f"sigmoid({fmt(z)})")
    return as_scalar(call.value, f"sigmoid({fmt(z)})"), call.runtime_warnings()


def forward_outputs(forward_pass: Callable, args: Sequence[float], what: str) -> list[float]:
    """``forward_pass(x, W1, b1, W2, b2)`` (``what`` says so) as four floats (z1, a1, z2, y_pred)."""
    value = call_student(forward_pass, *args, what=what).value
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or len(value) != 4:
        raise GradingError(
            f"forward_pass should return the tuple (z1, a1, z2, y_pred), but it returned "
            f"{type(value).__name__}"
            + (f" of length {len(value)}" if hasattr(value, "__len__") else "") + "."
        )
    return [as_scalar(v, f"{name} from {what}") for name, v in zip(exercise.FORWARD_PASS_OUTPUTS, value)]


def call_backward(backward_pass: Callable, args: Sequence[float], what: str) -> dict:
    """``backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2)``'s dict, watched for autodiff."""
    value = call_student(backward_pass, *args, what=what, forbid_autodiff=AUTODIFF_MESSAGE).value
    if not isinstance(value, dict):
        raise GradingError(
            f"backward_pass should return a dict with keys {', '.join(GRADIENT_KEYS)}, "
            f"but it returned {type(value).__name__}."
        )
    return value


def gradient_value(result: Mapping, key: str, what: str) -> float:
    """Gradient ``key`` of ``backward_pass``'s dict ``result`` as a float."""
    if key not in result:
        present = ", ".join(sorted(map(str, result))) or "none"
        raise GradingError(
            f"backward_pass's dict has no key '{key}' ({LATEX[key]}); keys present: {present}."
        )
    return as_scalar(result[key], f"{key} from {what}")


def gradient_atol(key: str, W2, x) -> float:
    """Absolute floor for gradient ``key`` at these ``W2`` and ``x`` (float32 rounding of its factors)."""
    w2, x = abs(float(W2)), abs(float(x))
    if key in ("dy_pred", "dz2", "dW2", "db2"):
        return ATOL
    if key in ("da1", "dz1", "db1"):
        return ATOL * (1.0 + w2)
    return ATOL * (1.0 + w2) * (1.0 + x)  # dW1


def hypotheses(key: str, r: Mapping, p: Mapping) -> list[tuple[str, str, object]]:
    """``(misconception id, what the student reads, the value)`` of each common mistake for
    ``key``, from the tape's quantities ``r`` and the parameters ``p`` (floats, or arrays
    of parameter sets).  The ids are declared in :mod:`course.kernel.misconceptions`."""
    y, x, W1, W2 = p["y"], p["x"], p["W1"], p["W2"]
    yp, a1, z1, z2 = r["y_pred"], r["a1"], r["z1"], r["z2"]
    dy, dz2, da1, dz1 = r["dy_pred"], r["dz2"], r["da1"], r["dz1"]
    sign = ("sign_error", "a sign error", -r[key])
    candidates = {
        "dy_pred": [
            ("sign_error", "a sign error: dL/dy_pred = -y/y_pred + (1-y)/(1-y_pred)", -dy),
            ("gave_dl_dz2_for_dl_dy_pred",
             "this is dL/dz2 (y_pred - y); dy_pred is the derivative before the output sigmoid", yp - y),
            ("missing_cross_entropy_term", "the (1-y)/(1-y_pred) term is missing", -y / yp),
        ],
        "dz2": [
            ("forgot_the_sigmoid_derivative",
             "the sigmoid derivative at layer 2 is missing: multiply by y_pred * (1 - y_pred)", dy),
            ("sign_error", "a sign error (dL/dz2 simplifies to y_pred - y, not y - y_pred)", -dz2),
            ("sigmoid_derivative_of_z",
             "z2 was used where the activation belongs: the sigmoid derivative is y_pred * (1 - y_pred), not z2 * (1 - z2)",
             dy * z2 * (1 - z2)),
            ("other_layers_sigmoid_derivative",
             "the layer-1 activation was used: the derivative at layer 2 is y_pred * (1 - y_pred), not a1 * (1 - a1)",
             dy * a1 * (1 - a1)),
        ],
        "dW2": [
            ("forgot_the_input_factor", "the factor a1 is missing: dL/dW2 = dL/dz2 * a1", dz2),
            ("wrong_input_factor", "z1 was used instead of a1: W2 multiplies the activation a1", dz2 * z1),
            ("wrong_input_factor", "x was used instead of a1: W2 multiplies the hidden activation a1", dz2 * x),
            ("weight_instead_of_input", "this is dL/da1 (dL/dz2 * W2); dL/dW2 multiplies by a1", dz2 * W2),
            sign,
        ],
        "db2": [("bias_gradient_times_input", "the bias gradient is just dL/dz2 (no factor a1)", dz2 * a1), sign],
        "da1": [
            ("wrong_weight", "the wrong weight: dL/da1 = dL/dz2 * W2, not W1", dz2 * W1),
            ("input_instead_of_weight", "a1 was used instead of W2: dL/da1 = dL/dz2 * W2", dz2 * a1),
            sign,
        ],
        "dz1": [
            ("forgot_the_sigmoid_derivative", "the sigmoid derivative at layer 1 is missing: multiply by a1 * (1 - a1)",
             da1),
            ("sigmoid_derivative_of_z",
             "z1 was used where the activation belongs: the derivative is a1 * (1 - a1), not z1 * (1 - z1)",
             da1 * z1 * (1 - z1)),
            ("other_layers_sigmoid_derivative",
             "the layer-2 derivative y_pred * (1 - y_pred) was used at layer 1; it should be a1 * (1 - a1)",
             da1 * yp * (1 - yp)),
            ("wrong_weight", "the wrong weight: dL/dz1 goes through W2, not W1", dz2 * W1 * a1 * (1 - a1)),
            sign,
        ],
        "dW1": [
            ("forgot_the_input_factor", "the factor x is missing: dL/dW1 = dL/dz1 * x", dz1),
            ("wrong_input_factor", "a1 was used instead of x: W1 multiplies the input x", dz1 * a1),
            ("weight_instead_of_input", "the weight was used instead of x: dL/dW1 = dL/dz1 * x", dz1 * W1),
            sign,
        ],
        "db1": [("bias_gradient_times_input", "the bias gradient is just dL/dz1 (no factor x)", dz1 * x), sign],
    }
    return candidates[key]
