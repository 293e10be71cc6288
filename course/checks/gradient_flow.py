"""Graded checks for notebook 3, gradient flow through a deep network.

The student writes, in the column-vector convention of :mod:`course.exercise.networks`:

- ``deep_forward(x, params, activation)`` -> ``(zs, activations)``: ``zs[l]`` is layer
  ``l``'s pre-activation (shape ``(n_{l+1},)``), ``activations[0]`` is ``x`` and
  ``activations[l + 1]`` layer ``l``'s output, so ``activations[-1]`` is ``y_pred``;
- ``deep_backward(y, zs, activations, params, activation)`` -> list of ``(dW, db)`` per
  layer, index 0 nearest the input, shapes as in ``params``;
- ``analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0)`` -> the
  Frobenius norm of ``dL/dW`` per layer (1-D, index 0 nearest the input).

The hidden tests run them on networks drawn from the grader's seed (see
:func:`_drawn_seed`), with every expected value from the ``tf.GradientTape`` oracle
(:mod:`course.oracles.deep`) on ``init_params`` weights.  How one network is judged
(comparisons with a float32-friendly tolerance, the first wrong layer going backwards,
the likely misconception, error carried forward) is the student side's
:mod:`course.kernel.checks.network_case`, shared with the visible checks; a visible call
here is judged by the visible check itself (:mod:`course.kernel.checks.gradient_flow`),
as in grading.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from course.kernel.coerce import as_scalar, close, written_precision
from course.kernel.messages import GradingError, fmt
from course.kernel.checks import gradient_flow as visible
from course.kernel.checks.gradient_flow import (ATOL_FRACTION, RELU_MAX_SPREAD, RTOL, SIGMOID_MAX_FIRST_OVER_LAST,
                                           check_vanishing_phenomenon, judge_vanishing_phenomenon,
                                           phenomenon_ratios)
from course.kernel.checks.network_case import NetworkCase, verify_analyses, verify_backward, verify_forward
from course.exercise.networks import DEMO_LAYER_SIZES, DEMO_X, init_params
from course.oracles import deep as oracle
from course.kernel.pristine import abs, float, len, list, tuple
from course.kernel.pristine import default_rng as _rng
from course.checks.result import Result, judgement, passed_result, reporting

__all__ = [
    "judge_deep_forward", "judge_deep_backward", "judge_analyze_gradient_flow",
    "judge_vanishing_phenomenon", "judge_gradient_after_10_layers",
    "check_deep_forward",
    "check_deep_backward",
    "check_analyze_gradient_flow",
    "check_vanishing_phenomenon",
    "check_gradient_after_10_layers",
    "phenomenon_ratios",
    "RTOL",
    "ATOL_FRACTION",
    "SIGMOID_MAX_FIRST_OVER_LAST",
    "RELU_MAX_SPREAD",
]


# --------------------------------------------------------------------------- cases
@functools.lru_cache(maxsize=512)
def _oracle_case(sizes: tuple, seed: int, activation: str, x: bytes, y: float, w_scale: float) -> tuple:
    """(params, zs, activations, grads) of one case, computed once per process: the grader
    judges each check twice (recording its calls, then replaying the report).  Students
    only ever get copies of these arrays."""
    params = init_params(list(sizes), seed, scale=w_scale)
    x_array = np.frombuffer(x, dtype=float).copy()
    zs, activations, grads = oracle.forward_and_gradients(x_array, y, params, activation)
    return params, zs, activations, grads


class _Case(NetworkCase):
    """One network + sample: weights from init_params, the oracle's forward and gradients."""

    def __init__(self, sizes: Sequence[int], seed: int, activation: str, *,
                 x_scale: float = 1.0, y: float = 1.0, w_scale: float = 1.0, x=None):
        if x is None:
            x = _rng(1000 + seed).standard_normal(list(sizes)[0]) * x_scale
        x = np.array(x, dtype=float)
        params, self.zs, self.activations, self.grads = _oracle_case(
            tuple(sizes), seed, activation, x.tobytes(), float(y), w_scale)
        super().__init__(sizes, seed, activation, y=y, x=x, params=params, w_scale=w_scale)
        self.norms = np.array([oracle.frobenius(dW) for dW, _ in self.grads])

    def mistaken_norms(self, mistake: str) -> list:
        if mistake == "activation_norms":
            return [oracle.frobenius(a) for a in self.activations]
        if mistake == "z_norms":
            return [oracle.frobenius(z) for z in self.zs]
        if mistake == "bias_gradient_norms":
            return [oracle.frobenius(db) for _, db in self.grads]
        if mistake == "seed_0_norms":
            return oracle.reference_analyze(self.x, self.y, self.sizes, self.activation, 0, scale=1.0)
        if mistake == "sigmoid_norms":
            return oracle.reference_analyze(self.x, self.y, self.sizes, "sigmoid", self.seed, scale=1.0)
        raise ValueError(f"unknown mistake {mistake!r}")


def _drawn_seed(seed: int | None, index: int, fixed: int, sizes, activation: str, **case_kwargs) -> int:
    """The init seed of hidden case ``index``: the instructor's ``fixed`` one, or (when the
    grader passes ``seed``, drawn from the course's grading key) one drawn from ``seed``.

    A drawn ReLU network is redrawn while any hidden unit sits at z = 0 exactly (a dead
    layer before zero biases), where the ReLU derivative is only a convention."""
    if seed is None:
        return fixed
    rng = _rng([seed, index])
    while True:
        candidate = int(rng.integers(0, 2 ** 31))
        if activation != "relu":
            return candidate
        if _no_unit_at_zero(sizes, candidate, activation, **case_kwargs):
            return candidate


def _no_unit_at_zero(sizes, seed: int, activation: str, *, x_scale: float = 1.0, y: float = 1.0,
                     w_scale: float = 1.0, x=None) -> bool:
    """No hidden unit of the network ``_Case`` would build has z = 0 exactly (NumPy forward
    pass of :mod:`course.grader`'s reference: a screen, cheaper than the oracle)."""
    from course.grader.reference import deep_forward

    inputs = _rng(1000 + seed).standard_normal(sizes[0]) * x_scale if x is None else np.array(x, dtype=float)
    zs, _ = deep_forward(inputs, init_params(list(sizes), seed, scale=w_scale), activation)
    return all(abs(v) > 1e-9 for z in zs[:-1] for v in z.ravel().tolist())


# --------------------------------------------------------------------------- forward
_FORWARD_HIDDEN = [((3, 5, 4, 2, 1), 21, "sigmoid"), ((4, 6, 6, 3, 1), 22, "relu"),
                   ((2, 7, 3, 1), 23, "tanh"), ((5, 1), 24, "relu"), ((6, 3, 8, 4, 5, 1), 25, "sigmoid")]


@judgement("deep_forward")
def judge_deep_forward(deep_forward: Callable, *, hidden: bool = False, seed: int | None = None) -> Result:
    """``deep_forward(x, params, activation)`` against the TensorFlow forward pass on
    networks drawn from ``seed`` (see :func:`_drawn_seed`).  Visible: the visible check."""
    if not hidden:
        return visible.judge_deep_forward(deep_forward)
    for index, (sizes, fixed, activation) in enumerate(_FORWARD_HIDDEN):
        x_scale = 2.0 if index % 2 else 1.0
        case_seed = _drawn_seed(seed, index, fixed, sizes, activation, x_scale=x_scale)
        verify_forward(deep_forward, _Case(sizes, case_seed, activation, x_scale=x_scale))
    return passed_result("deep_forward", f"deep_forward matches TensorFlow on {len(_FORWARD_HIDDEN)} network(s)")


# --------------------------------------------------------------------------- backward
# Non-square layers come first, so a missing transpose fails with a shape hint.
# Seeds chosen so that no ReLU layer dies completely: with zero biases the next layer's z
# would be exactly 0, where the ReLU derivative is a convention (a test guards this).
_BACKWARD_HIDDEN = [
    dict(sizes=(3, 5, 4, 2, 1), seed=44),
    dict(sizes=(4, 4, 4, 4, 1), seed=42, y=0.0),
    dict(sizes=(5, 7, 6, 8, 3, 1), seed=46, x_scale=3.0),  # saturated regime
    dict(sizes=(2, 3, 1), seed=44, y=0.0, w_scale=2.5),
    dict(sizes=(6, 1), seed=45),
    dict(sizes=(3, 8, 8, 8, 8, 8, 1), seed=46, y=0.0),
]


@judgement(lambda deep_backward, activation, **_: f"deep_backward[{activation}]")
def judge_deep_backward(deep_backward: Callable, activation: str, *, hidden: bool = False,
                        seed: int | None = None) -> Result:
    """``deep_backward(y, zs, activations, params, activation)`` against ``tf.GradientTape``
    on networks drawn from ``seed``.  Visible: the visible check.

    The forward values passed in come from the oracle, so a wrong forward pass does not
    cost these points.  Compares dW and db of every layer.
    """
    if not hidden:
        return visible.judge_deep_backward(deep_backward, activation)
    for index, spec in enumerate(_BACKWARD_HIDDEN):
        shape = dict(x_scale=spec.get("x_scale", 1.0), y=spec.get("y", 1.0), w_scale=spec.get("w_scale", 1.0))
        case_seed = _drawn_seed(seed, index, spec["seed"], spec["sizes"], activation, **shape)
        verify_backward(deep_backward, _Case(spec["sizes"], case_seed, activation, **shape))
    return passed_result(f"deep_backward[{activation}]",
                         f"deep_backward ({activation}) matches tf.GradientTape on {len(_BACKWARD_HIDDEN)} network(s)")


# --------------------------------------------------------------------------- analyze
_ANALYZE_HIDDEN = [
    ((3, 5, 4, 2, 1), "sigmoid", 7, 1.0),
    ((4, 6, 6, 6, 1), "relu", 3, 0.0),
    ((2, 9, 3, 1), "tanh", 12, 1.0),
    (DEMO_LAYER_SIZES, "sigmoid", 0, 1.0),
    (DEMO_LAYER_SIZES, "relu", 5, 1.0),
    ((5, 8, 8, 8, 8, 8, 8, 8, 1), "sigmoid", 2, 0.0),
    ((7, 1), "relu", 4, 1.0),
]


@judgement("analyze_gradient_flow")
def judge_analyze_gradient_flow(analyze: Callable, deep_forward: Callable | None = None,
                                deep_backward: Callable | None = None, *,
                                hidden: bool = False, seed: int | None = None) -> Result:
    """``analyze_gradient_flow`` returns the per-layer ``||dL/dW||_F`` of each network
    drawn from ``seed``.  Visible: the visible check.

    Judges the analysis, not the backward pass again: a result equal to what the
    student's own ``deep_forward``/``deep_backward`` give for the same network passes
    too, so one slip in an activation derivative costs only that activation's backward
    test.
    """
    if not hidden:
        return visible.judge_analyze_gradient_flow(analyze, deep_forward, deep_backward)
    cases = []
    for index, (sizes, activation, fixed, y) in enumerate(_ANALYZE_HIDDEN):
        x = DEMO_X if tuple(sizes) == tuple(DEMO_LAYER_SIZES) else None
        case_seed = _drawn_seed(seed, index, fixed, sizes, activation, y=y, x=x)
        cases.append(_Case(sizes, case_seed, activation, y=y, x=x))
    return verify_analyses(analyze, (deep_forward, deep_backward), cases)


# --------------------------------------------------------------------------- reflection
@judgement("gradient_after_10_layers")
def judge_gradient_after_10_layers(gradient_after_10_layers: Any, *, hidden: bool = False) -> Result:
    """Reflection Q2: the student's ``gradient_after_10_layers`` is 0.25 ** 10 ~ 9.54e-7,
    right to 3 significant figures.

    Visible: the visible check (it is a number).  An answer the notebook never defines
    is not answered before any judge runs (course.grader.judges)."""
    if not hidden:
        return visible.judge_gradient_after_10_layers(gradient_after_10_layers)
    name = "gradient_after_10_layers"
    number = as_scalar(gradient_after_10_layers, name)
    expected = 0.25 ** 10
    if close(number, expected, 1e-3):
        return passed_result(name, f"{name} is right")
    half_unit, figures = written_precision(number)
    if abs(number - expected) <= half_unit:
        raise GradingError(f"{name} = {fmt(number)} is close, but it has only {figures} significant "
                           f"figure{'s' if figures != 1 else ''}: give at least 3 (or compute it).",
                           "too_few_significant_figures")
    if close(number, 0.25 * 10, 1e-3):
        raise GradingError(f"{name}: the factors multiply (one per layer), they do not add.", "factors_added")
    if close(number, 0.25 ** 9, 1e-3) or close(number, 0.25 ** 11, 1e-3):
        raise GradingError(f"{name}: count one factor of at most 0.25 for each of the 10 layers.",
                           "wrong_number_of_factors")
    raise GradingError(f"{name} = {fmt(number)} is not the largest factor left after "
                       "10 sigmoid layers, each of which multiplies the gradient by at most 0.25.")


check_deep_forward = reporting(judge_deep_forward)
check_deep_backward = reporting(judge_deep_backward)
check_analyze_gradient_flow = reporting(judge_analyze_gradient_flow)
check_gradient_after_10_layers = reporting(judge_gradient_after_10_layers)
