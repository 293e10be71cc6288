"""Graded checks for notebook 2, ``02_code_verification.ipynb``.

Each check takes the student's function as an argument (never reads the student's
globals), calls it through :func:`course.kernel.calls.call_student`, coerces every result with
:mod:`course.kernel.coerce`, compares Python floats with :func:`course.kernel.coerce.close`, prints one
``✓`` line on success and raises :class:`~course.kernel.messages.GradingError` naming the likely
misconception (with expected and got for one failing input) on failure.

Hidden checks compare against :mod:`course.oracles.two_layer`: a float64
``tf.GradientTape`` and float64 central differences on seeded random parameter sets (see
:func:`parameter_sets`), including saturated sigmoids.  A visible call is judged by the
visible check itself (:mod:`course.kernel.checks.verification`, as in grading), and the
checks graded as they are (``sigmoid_extremes``, ``bce_edges``) are the visible ones.
How the student's functions are called and read, and the words a wrong gradient is
explained with, are the student side's (:mod:`course.kernel.checks.two_layer`).

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

from course.exercise import constants as exercise
from course.kernel.coerce import as_scalar, close
from course.kernel.messages import GradingError, fmt
from course.kernel.checks import verification as visible
from course.kernel.checks.two_layer import (ATOL, FORMULA, GRADIENT_KEYS, LATEX, RTOL, UPSTREAM, call_backward,
                                       forward_outputs, gradient_atol, gradient_value, hypotheses, sigmoid_scalar)
from course.kernel.checks.verification import (EXERCISE_VALUES, check_bce_edges, check_sigmoid_extremes,
                                          judge_bce_edges, judge_sigmoid_extremes)
from course.oracles import two_layer
from course.kernel.pristine import dict, float, len
from course.kernel.calls import call_student
from course.checks.result import Result, judgement, passed_result, reporting

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

# Captured when the notebook's read-only first cell imports this module, so a notebook
# that rebinds these names later does not change what the checks compare against.
_tf_reference = two_layer.tf_reference
_central_difference = two_layer.central_difference

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
    return gradient_atol(key, params["W2"][i], params["x"][i])


def _describe_inputs(params: dict, i: int, names=("x", "y", "W1", "b1", "W2", "b2")) -> str:
    return ", ".join(f"{name}={fmt(float(params[name][i]))}" for name in names)


# --- sigmoid ------------------------------------------------------------------------

def _sigmoid_values(sigmoid: Callable, seed: int) -> Result:
    """Hidden: 40 random scalars z in [-30, 30] against the float64 reference."""
    rng = np.random.default_rng(seed)
    zs = np.concatenate([rng.uniform(-6.0, 6.0, 25), rng.uniform(-30.0, 30.0, 15)])
    for z in zs.tolist():
        got, _ = sigmoid_scalar(sigmoid, z)
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


# --- forward pass ----------------------------------------------------------------------

def _forward(forward_pass: Callable, params: dict, i: int) -> list[float]:
    args = [float(params[k][i]) for k in ("x", "W1", "b1", "W2", "b2")]
    what = f"forward_pass({_describe_inputs(params, i, ('x', 'W1', 'b1', 'W2', 'b2'))})"
    return forward_outputs(forward_pass, args, what)


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
        for name, g, atol in zip(exercise.FORWARD_PASS_OUTPUTS, got, atols):
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


# --- backward pass ------------------------------------------------------------------

def _call_backward(backward_pass: Callable, params: dict, ref: dict, i: int) -> dict:
    """Call backward_pass for set ``i`` with the oracle's forward values, watched for autodiff."""
    args = [float(v) for v in (params["x"][i], params["y"][i], ref["z1"][i], ref["a1"][i],
                                ref["z2"][i], ref["y_pred"][i], params["W1"][i], params["b1"][i],
                                params["W2"][i], params["b2"][i])]
    what = f"backward_pass({_describe_inputs(params, i)}, and the matching z1, a1, z2, y_pred)"
    return call_backward(backward_pass, args, what)


def _matches_everywhere(got: np.ndarray, expected: np.ndarray, atols: list[float]) -> int | None:
    """Index of the first set where ``got`` is not close to ``expected``, else None."""
    for i, (g, e, atol) in enumerate(zip(got.tolist(), expected.tolist(), atols)):
        if not close(g, e, RTOL, atol):
            return i
    return None


def _follows_from_own_upstream(key: str, got: np.ndarray, results: list, params: dict, ref: dict) -> bool:
    """``got`` equals the tape's local derivative times the student's own (wrong) upstream.

    ``results`` are the student's dicts, one per parameter set.  A constant upstream
    (hard-coded, zeros) never carries an error forward.
    """
    if key not in UPSTREAM:
        return False
    up_key, local_key = UPSTREAM[key]
    try:
        upstream = np.array([as_scalar(res.get(up_key), up_key) for res in results])
    except GradingError:
        return False
    n = len(results)
    up_atols = [_gradient_atol(up_key, params, i) for i in range(n)]
    if not np.isfinite(upstream).all() or _matches_everywhere(upstream, ref[up_key], up_atols) is None:
        return False
    if float(np.max(upstream) - np.min(upstream)) == 0.0:
        return False
    atols = [_gradient_atol(key, params, i) for i in range(n)]
    return _matches_everywhere(got, upstream * ref[local_key], atols) is None


def _likely_cause(key: str, got: np.ndarray, ref: dict, params: dict,
                  atols: list[float]) -> tuple[str, str | None]:
    """("Likely cause: …", its misconception id) when a known mistake explains (nearly)
    every failing set, else (the chain rule, None)."""
    n = len(got)
    failing = [j for j in range(n) if not close(float(got[j]), float(ref[key][j]), RTOL, atols[j])]
    for misconception, reason, values in hypotheses(key, ref, params):
        hits = sum(close(float(got[j]), float(values[j]), RTOL, atols[j]) for j in failing)
        if failing and hits >= 0.9 * len(failing):
            return f"Likely cause: {reason}.", misconception
    return f"The chain rule here: {FORMULA[key]}.", None


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
    got = np.array([gradient_value(res, key, what) for res in results])
    atols = [_gradient_atol(key, params, i) for i in range(n)]
    bad_tf = _matches_everywhere(got, ref[key], atols)
    bad_cd = _matches_everywhere(got, cd[key], [a + 1e-8 for a in atols])
    if bad_tf is None and bad_cd is None:
        return passed_result(f"backward_pass['{key}']", f"{key} ({LATEX[key]}) matches tf.GradientTape "
                             f"(float64) and central differences on {n} random parameter sets")

    # Error carried forward: right chain rule applied to the student's own upstream value.
    if _follows_from_own_upstream(key, got, results, params, ref):
        up_key = UPSTREAM[key][0]
        return passed_result(f"backward_pass['{key}']", f"{key} ({LATEX[key]}) follows correctly from your own "
                             f"{up_key} by the chain rule ({up_key} itself is marked wrong in its own test)",
                             carried_from=up_key)

    i = bad_tf if bad_tf is not None else bad_cd
    expected = float(ref[key][i])
    failing = [j for j in range(n) if not close(float(got[j]), float(ref[key][j]), RTOL, atols[j])]
    cause, misconception = _likely_cause(key, got, ref, params, atols)
    oracle = "tf.GradientTape" if bad_tf is not None else "the central difference"
    raise GradingError(
        f"{LATEX[key]} (key '{key}') is wrong for {_describe_inputs(params, i)} "
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
        return visible.judge_sigmoid(sigmoid)
    return _sigmoid_values(sigmoid, SEEDS["sigmoid"] if seed is None else seed)


@judgement("forward_pass")
def judge_forward_pass(forward_pass: Callable, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Visible: four finite numbers for the worked example.  Hidden: 65 random sets."""
    if not hidden:
        return visible.judge_forward_pass(forward_pass)
    return _forward_values(forward_pass, SEEDS["forward_pass"] if seed is None else seed)


@judgement("binary_cross_entropy")
def judge_bce(binary_cross_entropy: Callable, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Visible: a positive loss for (1, 0.7).  Hidden: 40 random pairs."""
    if not hidden:
        return visible.judge_bce(binary_cross_entropy)
    return _bce_values(binary_cross_entropy, SEEDS["binary_cross_entropy"] if seed is None else seed)


@judgement(lambda backward_pass, key, **_: f"backward_pass['{key}']")
def judge_gradient(backward_pass: Callable, key: str, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Gradient ``key`` of ``backward_pass``: visible at the visible check's point, hidden
    on 65 random parameter sets (both with error carried forward)."""
    if key not in GRADIENT_KEYS:
        raise ValueError(f"unknown gradient key {key!r}")
    if not hidden:
        return visible.judge_gradient(backward_pass, key)
    return _gradient_values(backward_pass, key, SEEDS["gradient"] if seed is None else seed)


check_sigmoid = reporting(judge_sigmoid)
check_forward_pass = reporting(judge_forward_pass)
check_bce = reporting(judge_bce)
check_gradient = reporting(judge_gradient)
