"""Graded checks for notebook 2, ``02_code_verification.ipynb``.

Each check takes the student's function as an argument (never reads the student's
globals), calls it through :func:`course.sandbox.call_student`, coerces every result with
:mod:`course.coerce`, compares Python floats with :func:`course.coerce.close`, prints one
``✓`` line on success and raises :class:`~course.feedback.GradingError` naming the likely
misconception (with expected and got for one failing input) on failure.

Visible checks (``check_*_basics``) only look at types, shapes and finiteness on the
exercise's values.  Hidden checks compare against :mod:`course.oracles.two_layer`:
a float64 ``tf.GradientTape`` and float64 central differences on seeded random
parameter sets (see :func:`parameter_sets`), including saturated sigmoids.

Tolerances (chosen so a float32 implementation passes): ``|got - expected| <= RTOL *
|expected| + atol`` with ``RTOL = 1e-3`` and an absolute floor ``ATOL = 1e-6`` scaled by
the size of the factors a value is built from (e.g. ``(1 + |W2|)`` for dL/da1), because
float32 rounding of ``1 - a`` near saturation is ~3e-8 absolute, not relative.

Error carried forward inside the backward pass: a gradient that equals the oracle's local
derivative times the student's *own* upstream gradient (e.g. dW2 = your dz2 · a1) passes,
so one slip in dz2 costs the dz2 test only.  ``backward_pass`` is always given the
oracle's forward values, so a wrong ``forward_pass`` costs only the forward test.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import exercise
from ..coerce import as_array, as_scalar, close, first_mismatch
from ..feedback import GradingError, fmt
from ..oracles import two_layer
from ..pristine import dict, float, isinstance, len
from ..sandbox import call_student
from .result import Result, judgement, misconception_id, passed_result, reporting

__all__ = [
    "RTOL",
    "ATOL",
    "EXERCISE_VALUES",
    "GRADIENT_KEYS",
    "SEEDS",
    "parameter_sets",
    "judge_sigmoid", "judge_sigmoid_extremes", "judge_forward_pass", "judge_bce", "judge_bce_edges",
    "judge_gradient",
    "check_sigmoid", "check_sigmoid_extremes", "check_forward_pass", "check_bce", "check_bce_edges",
    "check_gradient",
]

RTOL = exercise.VERIFICATION_RTOL
ATOL = exercise.VERIFICATION_ATOL
GRADIENT_KEYS = exercise.GRADIENT_KEYS
# The notebook imports and prints this copy; the checks read course/exercise.py's
# read-only mapping, so a notebook that edits the dict cannot move the worked example.
EXERCISE_VALUES = dict(exercise.EXERCISE_VALUES)

# Captured when the notebook's read-only first cell imports this module, so a notebook
# that rebinds these names later does not change what the checks compare against.
_tf_reference = two_layer.tf_reference
_central_difference = two_layer.central_difference

_LATEX = {
    "dy_pred": "dL/dy_pred", "dz2": "dL/dz2", "dW2": "dL/dW2", "db2": "dL/db2",
    "da1": "dL/da1", "dz1": "dL/dz1", "dW1": "dL/dW1", "db1": "dL/db1",
}
_FORMULA = {
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
_UPSTREAM = {
    "dz2": ("dy_pred", "dy_pred/dz2"),
    "dW2": ("dz2", "dz2/dW2"),
    "db2": ("dz2", "dz2/db2"),
    "da1": ("dz2", "dz2/da1"),
    "dz1": ("da1", "da1/dz1"),
    "dW1": ("dz1", "dz1/dW1"),
    "db1": ("dz1", "dz1/db1"),
}
# What backward_pass is told when automatic differentiation ran while it ran (what ran is
# observed by course.autodiff, never guessed from names).
_AUTODIFF_MESSAGE = (
    "backward_pass must compute the gradients by hand with the chain rule, but while it ran "
    "it used automatic differentiation: {used}. Keep GradientTape for verify_with_tensorflow "
    "and call that outside backward_pass, to compare against."
)


# --- inputs -------------------------------------------------------------------------

def parameter_sets(seed: int) -> dict[str, np.ndarray]:
    """Seeded random parameter sets, each entry a float64 array of shape (n,), n = 65.

    - 30 ordinary sets: x in [-2, 2], W in [-3, 3], b in [-2, 2], y in {0, 1};
    - 15 with a saturated hidden unit: |z1| in [6, 15];
    - 15 with a saturated, confidently right output: |z2| in [6, 15], y = (z2 > 0);
    - 5 with a confidently wrong output: |z2| in [4, 8], y = (z2 < 0).  Beyond |z2| = 8
      with the wrong label, float32 arithmetic and an epsilon of 1e-7 (as Keras uses)
      legitimately disagree with the exact formula by more than 0.1 %, so such inputs
      would fail correct students.
    """
    rng = np.random.default_rng(seed)
    n_ord, n_hid, n_right, n_wrong = 30, 15, 15, 5
    n = n_ord + n_hid + n_right + n_wrong
    x = rng.uniform(-2.0, 2.0, n)
    W1 = rng.uniform(-3.0, 3.0, n)
    W2 = rng.uniform(-3.0, 3.0, n)
    b1 = rng.uniform(-2.0, 2.0, n)
    b2 = rng.uniform(-2.0, 2.0, n)
    y = rng.integers(0, 2, n).astype(np.float64)
    hid = slice(n_ord, n_ord + n_hid)
    z1_target = rng.choice([-1.0, 1.0], n_hid) * rng.uniform(6.0, 15.0, n_hid)
    b1[hid] = z1_target - W1[hid] * x[hid]
    a1 = two_layer.sigmoid_reference(W1 * x + b1)
    right = slice(n_ord + n_hid, n_ord + n_hid + n_right)
    z2_right = rng.choice([-1.0, 1.0], n_right) * rng.uniform(6.0, 15.0, n_right)
    b2[right] = z2_right - W2[right] * a1[right]
    y[right] = (z2_right > 0).astype(np.float64)
    wrong = slice(n_ord + n_hid + n_right, n)
    z2_wrong = rng.choice([-1.0, 1.0], n_wrong) * rng.uniform(4.0, 8.0, n_wrong)
    b2[wrong] = z2_wrong - W2[wrong] * a1[wrong]
    y[wrong] = (z2_wrong < 0).astype(np.float64)
    return {"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2}


_REFERENCE_CACHE: dict[int, tuple[dict, dict, dict]] = {}


def _references(seed: int) -> tuple[dict, dict, dict]:
    """(parameters, tf.GradientTape oracle, central-difference oracle) for ``seed``."""
    if seed not in _REFERENCE_CACHE:
        params = parameter_sets(seed)
        _REFERENCE_CACHE[seed] = (params, _tf_reference(**params), _central_difference(**params))
    return _REFERENCE_CACHE[seed]


def _gradient_atol(key: str, params: dict, i: int) -> float:
    """Absolute floor for gradient ``key`` at set ``i`` (float32 rounding of its factors)."""
    w2 = abs(float(params["W2"][i]))
    x = abs(float(params["x"][i]))
    if key in ("dy_pred", "dz2", "dW2", "db2"):
        return ATOL
    if key in ("da1", "dz1", "db1"):
        return ATOL * (1.0 + w2)
    return ATOL * (1.0 + w2) * (1.0 + x)  # dW1


def _describe_inputs(params: dict, i: int, names=("x", "y", "W1", "b1", "W2", "b2")) -> str:
    return ", ".join(f"{name}={fmt(float(params[name][i]))}" for name in names)


# --- sigmoid ------------------------------------------------------------------------

def _sigmoid_scalar(sigmoid: Callable, z: float) -> tuple[float, list[str]]:
    call = call_student(sigmoid, z, what=f"sigmoid({fmt(z)})")
    return as_scalar(call.value, f"sigmoid({fmt(z)})"), call.runtime_warnings()


def _sigmoid_basics(sigmoid: Callable) -> Result:
    """Visible: sigmoid(0) is 0.5 and sigmoid(2.0) is a number between 0.5 and 1."""
    value, _ = _sigmoid_scalar(sigmoid, 0.0)
    if not close(value, 0.5, 1e-6):
        raise GradingError(f"sigmoid(0) should be 0.5, but it is {fmt(value)}.")
    value, _ = _sigmoid_scalar(sigmoid, 2.0)
    if not 0.5 < value < 1.0:
        raise GradingError(f"sigmoid(2.0) should lie between 0.5 and 1, but it is {fmt(value)}.")
    return passed_result("sigmoid", "sigmoid returns sensible numbers (the hidden tests check many more values)")


def _sigmoid_values(sigmoid: Callable, seed: int) -> Result:
    """Hidden: 40 random scalars z in [-30, 30] against the float64 reference."""
    rng = np.random.default_rng(seed)
    zs = np.concatenate([rng.uniform(-6.0, 6.0, 25), rng.uniform(-30.0, 30.0, 15)])
    for z in zs.tolist():
        got, _ = _sigmoid_scalar(sigmoid, z)
        expected = float(two_layer.sigmoid_reference(z))
        if not close(got, expected, RTOL, 1e-9):
            hint, misconception = "", None
            if close(got, float(two_layer.sigmoid_reference(-z)), RTOL, 1e-9):
                hint = " It looks like 1/(1 + exp(z)): the sign inside exp should be minus, exp(-z)."
                misconception = "sign_inside_exp"
            elif close(got, np.exp(-z), RTOL, 1e-9) or close(got, np.exp(z), RTOL, 1e-9):
                hint = " The formula is 1 / (1 + exp(-z)); the '1 +' and the division are missing."
                misconception = "exp_without_one_plus_and_division"
            raise GradingError(
                f"sigmoid({fmt(z)}) should be {fmt(expected)}, but it is {fmt(got)}.{hint}", misconception
            )
    return passed_result("sigmoid", f"sigmoid matches the reference on {len(zs)} random inputs")


@judgement("sigmoid_extremes")
def judge_sigmoid_extremes(sigmoid: Callable) -> Result:
    """Hidden: no overflow warning at |z| = 1000, limits 0 and 1, arrays in, arrays out."""
    for z, limit in ((1000.0, 1.0), (-1000.0, 0.0), (750.0, 1.0), (-750.0, 0.0)):
        got, warned = _sigmoid_scalar(sigmoid, z)
        if warned:
            raise GradingError(
                f"sigmoid({fmt(z)}) triggers a numpy warning ({warned[0]}). 1/(1 + np.exp(-z)) "
                "overflows for large negative z: clip z (e.g. to [-500, 500]) or use a form "
                "that never takes exp of a large positive number (np.where evaluates both branches, "
                "so both must be safe).", "overflow_at_large_z"
            )
        if not close(got, limit, 0.0, 1e-6):
            raise GradingError(f"sigmoid({fmt(z)}) should be about {fmt(limit)}, but it is {fmt(got)}.")
    z = np.array([[-1000.0, -50.0, -1.0], [0.0, 3.0, 1000.0]])
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
    expected = two_layer.sigmoid_reference(z)
    bad = first_mismatch(got, expected, RTOL, 1e-9)
    if bad is not None:
        index, g, e = bad
        raise GradingError(
            f"sigmoid on an array: element {index} (z = {fmt(float(z[index]))}) should be "
            f"{fmt(e)}, but it is {fmt(g)}."
        )
    return passed_result("sigmoid_extremes", "sigmoid is overflow-safe at |z| = 1000 and works element-wise on arrays")


# --- forward pass ----------------------------------------------------------------------

_FORWARD_NAMES = exercise.FORWARD_PASS_OUTPUTS


def _forward(forward_pass: Callable, params: dict, i: int) -> list[float]:
    args = [float(params[k][i]) for k in ("x", "W1", "b1", "W2", "b2")]
    what = f"forward_pass({_describe_inputs(params, i, ('x', 'W1', 'b1', 'W2', 'b2'))})"
    value = call_student(forward_pass, *args, what=what).value
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or len(value) != 4:
        raise GradingError(
            f"forward_pass should return the tuple (z1, a1, z2, y_pred), but it returned "
            f"{type(value).__name__}"
            + (f" of length {len(value)}" if hasattr(value, "__len__") else "") + "."
        )
    return [as_scalar(v, f"{name} from {what}") for name, v in zip(_FORWARD_NAMES, value)]


def _forward_basics(forward_pass: Callable) -> Result:
    """Visible: on the exercise's values, four finite numbers come back."""
    params = {k: np.array([v]) for k, v in exercise.EXERCISE_VALUES.items()}
    values = _forward(forward_pass, params, 0)
    if not 0.0 < values[3] < 1.0:
        raise GradingError(f"y_pred should be a probability between 0 and 1, but it is {fmt(values[3])}.")
    return passed_result("forward_pass", "forward_pass returns four numbers (z1, a1, z2, y_pred)")


def _forward_hint(name: str, got: float, ref: dict, i: int) -> str:
    z1, a1, z2 = (float(ref[k][i]) for k in ("z1", "a1", "z2"))
    if name == "a1" and close(got, z1, RTOL, ATOL):
        return " a1 equals z1: apply the sigmoid, a1 = sigmoid(z1)."
    if name == "y_pred" and close(got, z2, RTOL, ATOL):
        return " y_pred equals z2: apply the sigmoid, y_pred = sigmoid(z2)."
    if name in ("z2", "y_pred"):
        return " Check that layer 2 uses a1 (not z1 or x) and W2, b2: z2 = W2 * a1 + b2."
    if name == "z1":
        return " Layer 1 is z1 = W1 * x + b1."
    return ""


def _forward_values(forward_pass: Callable, seed: int) -> Result:
    """Hidden: z1, a1, z2, y_pred against the float64 oracle on random parameter sets."""
    params, ref, _ = _references(seed)
    n = len(params["x"])
    for i in range(n):
        got = _forward(forward_pass, params, i)
        w1x, b1 = abs(float(params["W1"][i] * params["x"][i])), abs(float(params["b1"][i]))
        w2, b2 = abs(float(params["W2"][i])), abs(float(params["b2"][i]))
        atols = (ATOL * (1 + w1x + b1), ATOL, ATOL * (1 + w2 + b2), ATOL)
        for name, g, atol in zip(_FORWARD_NAMES, got, atols):
            e = float(ref[name][i])
            if not close(g, e, RTOL, atol):
                hint = _forward_hint(name, g, ref, i)
                raise GradingError(
                    f"forward_pass({_describe_inputs(params, i, ('x', 'W1', 'b1', 'W2', 'b2'))}): "
                    f"{name} should be {fmt(e)}, but it is {fmt(g)}." + hint,
                    "forgot_the_activation" if "apply the sigmoid" in hint else None,
                )
    return passed_result("forward_pass", f"forward_pass matches the float64 reference on {n} random parameter sets")


# --- binary cross-entropy ------------------------------------------------------------

def _bce(bce: Callable, y: float, p: float) -> tuple[float, list[str]]:
    what = f"binary_cross_entropy({fmt(y)}, {fmt(p)})"
    call = call_student(bce, y, p, what=what)
    return as_scalar(call.value, what), call.runtime_warnings()


def _bce_basics(binary_cross_entropy: Callable) -> Result:
    """Visible: a finite, positive loss for y_true = 1, y_pred = 0.7."""
    loss, _ = _bce(binary_cross_entropy, 1.0, 0.7)
    if not loss > 0.0:
        raise GradingError(
            f"binary_cross_entropy(1, 0.7) should be a positive number, but it is {fmt(loss)}: "
            "a wrong sign? Mind the minus in front of the bracket.", "sign_error"
        )
    return passed_result("binary_cross_entropy", "binary_cross_entropy returns a positive number")


def _bce_values(binary_cross_entropy: Callable, seed: int) -> Result:
    """Hidden: 40 random (y_true, y_pred) pairs, y_pred in [1e-3, 1 - 1e-3] or confidently right."""
    rng = np.random.default_rng(seed)
    ys = rng.integers(0, 2, 40).astype(np.float64)
    ps = two_layer.sigmoid_reference(rng.uniform(-6.9, 6.9, 40))
    # A few confidently right predictions (loss ~ 1e-9): an epsilon of 1e-7 is fine here.
    ps[:6] = np.where(ys[:6] == 1.0, 1.0 - 10.0 ** -rng.uniform(4, 9, 6), 10.0 ** -rng.uniform(4, 9, 6))
    expected = two_layer.bce_reference(ys, ps)
    for y, p, e in zip(ys.tolist(), ps.tolist(), expected.tolist()):
        got, _ = _bce(binary_cross_entropy, y, p)
        if not close(got, e, RTOL, ATOL):
            hint, misconception = "", None
            if close(got, -e, RTOL, ATOL):
                hint = " It has the wrong sign: L = -[y log(y_pred) + (1-y) log(1-y_pred)]."
                misconception = "sign_error"
            elif close(got, -np.log(p) if y == 0 else -np.log1p(-p), RTOL, ATOL):
                hint = " The y and (1-y) terms are swapped."
                misconception = "terms_swapped"
            raise GradingError(
                f"binary_cross_entropy({fmt(y)}, {fmt(p)}) should be {fmt(e)}, but it is {fmt(got)}.{hint}",
                misconception,
            )
    return passed_result("binary_cross_entropy", "binary_cross_entropy matches the exact formula on 40 random inputs")


@judgement("bce_edges")
def judge_bce_edges(binary_cross_entropy: Callable) -> Result:
    """Hidden: finite, warning-free loss at y_pred exactly 0 and 1."""
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

def _call_backward(backward_pass: Callable, params: dict, ref: dict, i: int) -> dict:
    """Call backward_pass for set ``i`` with the oracle's forward values, watched for autodiff."""
    args = [float(v) for v in (params["x"][i], params["y"][i], ref["z1"][i], ref["a1"][i],
                                ref["z2"][i], ref["y_pred"][i], params["W1"][i], params["b1"][i],
                                params["W2"][i], params["b2"][i])]
    what = f"backward_pass({_describe_inputs(params, i)}, and the matching z1, a1, z2, y_pred)"
    value = call_student(backward_pass, *args, what=what, forbid_autodiff=_AUTODIFF_MESSAGE).value
    if not isinstance(value, dict):
        raise GradingError(
            f"backward_pass should return a dict with keys {', '.join(GRADIENT_KEYS)}, "
            f"but it returned {type(value).__name__}."
        )
    return value


def _gradient_value(result: dict, key: str, what: str) -> float:
    if key not in result:
        present = ", ".join(sorted(map(str, result))) or "none"
        raise GradingError(
            f"backward_pass's dict has no key '{key}' ({_LATEX[key]}); keys present: {present}."
        )
    return as_scalar(result[key], f"{key} from {what}")


def _gradient_basics(backward_pass: Callable, key: str) -> Result:
    """Visible: on the exercise's values, ``key`` is a finite number that matches the tape.

    The worked example is the student's own reference (``verify_with_tensorflow`` runs on
    it), so Validate may judge the value there.  A value that follows from the student's
    own upstream gradient by the chain rule also passes, as in the hidden test, so
    Validate never fails a cell the hidden test gives credit for.  The expected number is
    not printed: at these values it is also an answer of notebook 1.
    """
    params = {k: np.array([v]) for k, v in exercise.EXERCISE_VALUES.items()}
    ref = _worked_example_reference()
    result = _call_backward(backward_pass, params, ref, 0)
    got = np.array([_gradient_value(result, key, "backward_pass(exercise values)")])
    atols = [_gradient_atol(key, params, 0)]
    test = f"backward_pass['{key}']"
    if _matches_everywhere(got, ref[key], atols) is None:
        return passed_result(test, f"backward_pass's '{key}' ({_LATEX[key]}) matches TensorFlow at the "
                                   "worked example (the hidden tests check many more inputs)")
    if _follows_from_own_upstream(key, got, [result], params, ref, require_varying=False):
        return passed_result(test, f"backward_pass's '{key}' ({_LATEX[key]}) follows from your own "
                                   f"{_UPSTREAM[key][0]} at the worked example", carried_from=_UPSTREAM[key][0])
    cause, misconception = _likely_cause(key, got, ref, params, atols)
    raise GradingError(
        f"{_LATEX[key]} (key '{key}') at the worked example {_describe_inputs(params, 0)} does not "
        f"match TensorFlow's GradientTape: you returned {fmt(float(got[0]))}.\n"
        + cause
        + "\nverify_with_tensorflow(**EXERCISE_VALUES) shows the tape's dW1, db1, dW2 and db2 there.",
        misconception,
    )


def _worked_example_reference() -> dict:
    """The tape's values at :data:`EXERCISE_VALUES` (arrays of shape (1,)), computed once."""
    if "worked" not in _WORKED_EXAMPLE:
        _WORKED_EXAMPLE["worked"] = _tf_reference(**{k: np.array([v]) for k, v in exercise.EXERCISE_VALUES.items()})
    return _WORKED_EXAMPLE["worked"]


_WORKED_EXAMPLE: dict[str, dict] = {}


def _hypotheses(key: str, r: dict, p: dict) -> list[tuple[str, np.ndarray]]:
    """Values a common mistake would produce for ``key``, from oracle quantities."""
    y, x, W1, W2 = p["y"], p["x"], p["W1"], p["W2"]
    yp, a1, z1, z2 = r["y_pred"], r["a1"], r["z1"], r["z2"]
    dy, dz2, da1, dz1 = r["dy_pred"], r["dz2"], r["da1"], r["dz1"]
    sign = ("a sign error", -r[key])
    table = {
        "dy_pred": [
            ("a sign error: dL/dy_pred = -y/y_pred + (1-y)/(1-y_pred)", -dy),
            ("this is dL/dz2 (y_pred - y); dy_pred is the derivative before the output sigmoid", yp - y),
            ("the (1-y)/(1-y_pred) term is missing", -y / yp),
        ],
        "dz2": [
            ("the sigmoid derivative at layer 2 is missing: multiply by y_pred * (1 - y_pred)", dy),
            ("a sign error (dL/dz2 simplifies to y_pred - y, not y - y_pred)", -dz2),
            ("z2 was used where the activation belongs: the sigmoid derivative is y_pred * (1 - y_pred), not z2 * (1 - z2)", dy * z2 * (1 - z2)),
            ("the layer-1 activation was used: the derivative at layer 2 is y_pred * (1 - y_pred), not a1 * (1 - a1)", dy * a1 * (1 - a1)),
        ],
        "dW2": [
            ("the factor a1 is missing: dL/dW2 = dL/dz2 * a1", dz2),
            ("z1 was used instead of a1: W2 multiplies the activation a1", dz2 * z1),
            ("x was used instead of a1: W2 multiplies the hidden activation a1", dz2 * x),
            ("this is dL/da1 (dL/dz2 * W2); dL/dW2 multiplies by a1", dz2 * W2),
            sign,
        ],
        "db2": [("the bias gradient is just dL/dz2 (no factor a1)", dz2 * a1), sign],
        "da1": [
            ("the wrong weight: dL/da1 = dL/dz2 * W2, not W1", dz2 * W1),
            ("a1 was used instead of W2: dL/da1 = dL/dz2 * W2", dz2 * a1),
            sign,
        ],
        "dz1": [
            ("the sigmoid derivative at layer 1 is missing: multiply by a1 * (1 - a1)", da1),
            ("z1 was used where the activation belongs: the derivative is a1 * (1 - a1), not z1 * (1 - z1)", da1 * z1 * (1 - z1)),
            ("the layer-2 derivative y_pred * (1 - y_pred) was used at layer 1; it should be a1 * (1 - a1)", da1 * yp * (1 - yp)),
            ("the wrong weight: dL/dz1 goes through W2, not W1", dz2 * W1 * a1 * (1 - a1)),
            sign,
        ],
        "dW1": [
            ("the factor x is missing: dL/dW1 = dL/dz1 * x", dz1),
            ("a1 was used instead of x: W1 multiplies the input x", dz1 * a1),
            ("the weight was used instead of x: dL/dW1 = dL/dz1 * x", dz1 * W1),
            sign,
        ],
        "db1": [("the bias gradient is just dL/dz1 (no factor x)", dz1 * x), sign],
    }
    return table[key]


def _matches_everywhere(got: np.ndarray, expected: np.ndarray, atols: list[float]) -> int | None:
    """Index of the first set where ``got`` is not close to ``expected``, else None."""
    for i, (g, e, atol) in enumerate(zip(got.tolist(), expected.tolist(), atols)):
        if not close(g, e, RTOL, atol):
            return i
    return None


def _follows_from_own_upstream(key: str, got: np.ndarray, results: list, params: dict, ref: dict,
                               *, require_varying: bool) -> bool:
    """``got`` equals the tape's local derivative times the student's own (wrong) upstream.

    ``results`` are the student's dicts, one per parameter set.  With ``require_varying``
    a constant upstream (hard-coded, zeros) never carries an error forward; the visible
    test has one parameter set, where "constant" means nothing, and the hidden test
    decides.
    """
    if key not in _UPSTREAM:
        return False
    up_key, local_key = _UPSTREAM[key]
    try:
        upstream = np.array([as_scalar(res.get(up_key), up_key) for res in results])
    except GradingError:
        return False
    n = len(results)
    up_atols = [_gradient_atol(up_key, params, i) for i in range(n)]
    if not np.isfinite(upstream).all() or _matches_everywhere(upstream, ref[up_key], up_atols) is None:
        return False
    if require_varying and float(np.max(upstream) - np.min(upstream)) == 0.0:
        return False
    atols = [_gradient_atol(key, params, i) for i in range(n)]
    return _matches_everywhere(got, upstream * ref[local_key], atols) is None


def _likely_cause(key: str, got: np.ndarray, ref: dict, params: dict,
                  atols: list[float]) -> tuple[str, str | None]:
    """("Likely cause: …", its misconception id) when a known mistake explains (nearly)
    every failing set, else (the chain rule, None)."""
    n = len(got)
    failing = [j for j in range(n) if not close(float(got[j]), float(ref[key][j]), RTOL, atols[j])]
    for reason, values in _hypotheses(key, ref, params):
        hits = sum(close(float(got[j]), float(values[j]), RTOL, atols[j]) for j in failing)
        if failing and hits >= 0.9 * len(failing):
            return f"Likely cause: {reason}.", misconception_id(reason)
    return f"The chain rule here: {_FORMULA[key]}.", None


def _gradient_values(backward_pass: Callable, key: str, seed: int) -> Result:
    """Hidden: gradient ``key`` of backward_pass against tf.GradientTape and central differences.

    ``backward_pass`` receives the oracle's forward values for each random parameter set.
    A value equal to the tape's local derivative times the student's own upstream gradient
    also passes (error carried forward), unless that upstream gradient is constant.
    """
    if key not in GRADIENT_KEYS:
        raise ValueError(f"unknown gradient key {key!r}")
    params, ref, cd = _references(seed)
    n = len(params["x"])
    results = [_call_backward(backward_pass, params, ref, i) for i in range(n)]
    what = "backward_pass"
    got = np.array([_gradient_value(res, key, what) for res in results])
    atols = [_gradient_atol(key, params, i) for i in range(n)]
    bad_tf = _matches_everywhere(got, ref[key], atols)
    bad_cd = _matches_everywhere(got, cd[key], [a + 1e-8 for a in atols])
    if bad_tf is None and bad_cd is None:
        return passed_result(f"backward_pass['{key}']", f"{key} ({_LATEX[key]}) matches tf.GradientTape "
                             f"(float64) and central differences on {n} random parameter sets")

    # Error carried forward: right chain rule applied to the student's own upstream value.
    if _follows_from_own_upstream(key, got, results, params, ref, require_varying=True):
        up_key = _UPSTREAM[key][0]
        return passed_result(f"backward_pass['{key}']", f"{key} ({_LATEX[key]}) follows correctly from your own "
                             f"{up_key} by the chain rule ({up_key} itself is marked wrong in its own test)",
                             carried_from=up_key)

    i = bad_tf if bad_tf is not None else bad_cd
    expected = float(ref[key][i])
    failing = [j for j in range(n) if not close(float(got[j]), float(ref[key][j]), RTOL, atols[j])]
    cause, misconception = _likely_cause(key, got, ref, params, atols)
    oracle = "tf.GradientTape" if bad_tf is not None else "the central difference"
    raise GradingError(
        f"{_LATEX[key]} (key '{key}') is wrong for {_describe_inputs(params, i)} "
        f"(z1={fmt(float(ref['z1'][i]))}, a1={fmt(float(ref['a1'][i]))}, "
        f"z2={fmt(float(ref['z2'][i]))}, y_pred={fmt(float(ref['y_pred'][i]))}):\n"
        f"expected {fmt(expected)} ({oracle}, float64), got {fmt(float(got[i]))}."
        + "\n" + cause
        + f"\n({n - len(failing)} of {n} random parameter sets were right.)",
        misconception,
    )


# --- the public judgements and checks (one protocol: course/checks/result.py) ------------

# Seeds of the hidden parameter sets; the hidden test cells pass them explicitly.
SEEDS = {"sigmoid": 2101, "forward_pass": 2201, "binary_cross_entropy": 2301, "gradient": 2401}


@judgement("sigmoid")
def judge_sigmoid(sigmoid: Callable, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Visible: sigmoid(0) = 0.5 and 0.5 < sigmoid(2) < 1.  Hidden: 40 random z."""
    if not hidden:
        return _sigmoid_basics(sigmoid)
    return _sigmoid_values(sigmoid, SEEDS["sigmoid"] if seed is None else seed)


@judgement("forward_pass")
def judge_forward_pass(forward_pass: Callable, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Visible: four finite numbers for the worked example.  Hidden: 65 random sets."""
    if not hidden:
        return _forward_basics(forward_pass)
    return _forward_values(forward_pass, SEEDS["forward_pass"] if seed is None else seed)


@judgement("binary_cross_entropy")
def judge_bce(binary_cross_entropy: Callable, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Visible: a positive loss for (1, 0.7).  Hidden: 40 random pairs."""
    if not hidden:
        return _bce_basics(binary_cross_entropy)
    return _bce_values(binary_cross_entropy, SEEDS["binary_cross_entropy"] if seed is None else seed)


@judgement(lambda backward_pass, key, **_: f"backward_pass['{key}']")
def judge_gradient(backward_pass: Callable, key: str, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Gradient ``key`` of ``backward_pass``: visible at the worked example, hidden on
    65 random parameter sets (both with error carried forward)."""
    if key not in GRADIENT_KEYS:
        raise ValueError(f"unknown gradient key {key!r}")
    if not hidden:
        return _gradient_basics(backward_pass, key)
    return _gradient_values(backward_pass, key, SEEDS["gradient"] if seed is None else seed)


check_sigmoid = reporting(judge_sigmoid)
check_sigmoid_extremes = reporting(judge_sigmoid_extremes)
check_forward_pass = reporting(judge_forward_pass)
check_bce = reporting(judge_bce)
check_bce_edges = reporting(judge_bce_edges)
check_gradient = reporting(judge_gradient)
