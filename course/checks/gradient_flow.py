"""Graded checks for notebook 3, gradient flow through a deep network.

The student writes, in the column-vector convention of :mod:`course.networks`:

- ``deep_forward(x, params, activation)`` -> ``(zs, activations)``: ``zs[l]`` is layer
  ``l``'s pre-activation (shape ``(n_{l+1},)``), ``activations[0]`` is ``x`` and
  ``activations[l + 1]`` layer ``l``'s output, so ``activations[-1]`` is ``y_pred``;
- ``deep_backward(y, zs, activations, params, activation)`` -> list of ``(dW, db)`` per
  layer, index 0 nearest the input, shapes as in ``params``;
- ``analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0)`` -> the
  Frobenius norm of ``dL/dW`` per layer (1-D, index 0 nearest the input).

Every expected value comes from the ``tf.GradientTape`` oracle
(:mod:`course.oracles.deep`) on ``init_params`` weights.  Results are coerced to
float64 with :mod:`course.coerce` and compared with ``rtol`` plus an ``atol`` relative
to the largest value of the case, so float32 code passes.  A failure names the first
wrong layer (going backwards from the output, the order backprop computes them) and the
likely misconception.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..coerce import as_array, as_scalar, close, written_precision
from ..feedback import GradingError, fmt, missing_answer
from ..networks import DEMO_LAYER_SIZES, DEMO_X, DEMO_Y, init_params
from ..oracles import deep as oracle
from ..pristine import abs, float, isinstance, len, list, max, min, range, tuple, zip
from ..pristine import default_rng as _rng
from ..sandbox import call_student
from .result import Result, judgement, passed_result, reporting

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

RTOL = 1e-3
ATOL_FRACTION = 1e-6  # absolute slack, as a fraction of the largest value in the case
SIGMOID_MAX_FIRST_OVER_LAST = 0.1  # sigmoid: first layer at least 10x smaller than the last
RELU_MAX_SPREAD = 4.0  # relu: largest / smallest layer norm within this factor

# What the manual backward pass is told when automatic differentiation ran during the call
# (course.autodiff observes what ran, not names).  Only deep_backward is watched: the
# analysis is judged as an analysis, so a tape inside deep_backward costs its own tests once.
_AUTODIFF_MESSAGE = (
    "{name} must compute the gradients by hand with the chain rule (numpy only), but while "
    "it ran it used automatic differentiation: {{used}}. TensorFlow is what the tests "
    "compare you against."
)

_ACTIVATION_HINT = {
    "sigmoid": "the hidden sigmoid derivative is a * (1 - a) of that layer's own output a",
    "tanh": "the tanh derivative is 1 - a**2 of that layer's own output a",
    "relu": "the ReLU derivative is 1 where z > 0 and 0 elsewhere (not the ReLU output itself)",
}



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


class _Case:
    """One network + sample: weights from init_params, the oracle's forward and gradients."""

    def __init__(self, sizes: Sequence[int], seed: int, activation: str, *,
                 x_scale: float = 1.0, y: float = 1.0, w_scale: float = 1.0, x=None):
        self.sizes = list(sizes)
        self.seed = seed
        self.activation = activation
        self.y = float(y)
        if x is None:
            self.x = _rng(1000 + seed).standard_normal(self.sizes[0]) * x_scale
        else:
            self.x = np.array(x, dtype=float)
        self.w_scale = w_scale
        self.params, self.zs, self.activations, self.grads = _oracle_case(
            tuple(self.sizes), seed, activation, self.x.tobytes(), self.y, w_scale)
        self.norms = np.array([oracle.frobenius(dW) for dW, _ in self.grads])
        self.own_results: dict[int, Any] = {}   # id(namespace) -> _own_result, computed once

    @property
    def n_layers(self) -> int:
        return len(self.params)

    def fresh_x(self) -> np.ndarray:
        return self.x.copy()

    def fresh_params(self) -> list:
        return [(W.copy(), b.copy()) for W, b in self.params]

    def describe(self) -> str:
        extra = "" if self.w_scale == 1.0 else f", weights x{self.w_scale:g}"
        return f"layer_sizes={self.sizes}, activation={self.activation!r}, seed={self.seed}{extra}, y={self.y:g}"


def _atol(*arrays: np.ndarray) -> float:
    # Python floats only: a student who rebinds np.max / np.abs cannot widen the tolerance.
    biggest = max([abs(v) for a in arrays for v in a.ravel().tolist()] + [0.0])
    return ATOL_FRACTION * max(biggest, 1e-12)


def _all_close(got: np.ndarray, expected: np.ndarray, atol: float) -> bool:
    if got.shape != expected.shape:
        return False
    for g, e in zip(got.ravel().tolist(), expected.ravel().tolist()):
        if not close(g, e, RTOL, atol):
            return False
    return True


def _sequence(value: Any, name: str, length: int, what: str) -> list:
    if isinstance(value, np.ndarray) and value.dtype != object and value.ndim >= 1:
        value = list(value)
    if not isinstance(value, (list, tuple)):
        kind = "None" if value is None else f"a {type(value).__name__}"
        raise GradingError(f"{name} should be a list with {what}, but it is {kind}.")
    if len(value) != length:
        raise GradingError(f"{name} should be a list with {what} ({length} for this network), "
                           f"but it has {len(value)} items.")
    return list(value)


def _reraise_with_hint(error: GradingError) -> None:
    message = str(error)
    if any(word in message for word in ("mismatch", "align", "broadcast", "shapes", "shape")):
        raise GradingError(
            message + "\nHint: W of layer l has shape (n_out, n_in). Going backwards, "
            "dL/da_prev = W.T @ dz (note the transpose) and dL/dW = np.outer(dz, a_prev).", "missing_transpose"
        ) from None
    raise error


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
    from ..grader.reference import deep_forward

    inputs = _rng(1000 + seed).standard_normal(sizes[0]) * x_scale if x is None else np.array(x, dtype=float)
    zs, _ = deep_forward(inputs, init_params(list(sizes), seed, scale=w_scale), activation)
    return all(abs(v) > 1e-9 for z in zs[:-1] for v in z.ravel().tolist())


# --------------------------------------------------------------------------- forward
_FORWARD_VISIBLE = [((3, 4, 2, 1), 11, "sigmoid")]
_FORWARD_HIDDEN = [((3, 5, 4, 2, 1), 21, "sigmoid"), ((4, 6, 6, 3, 1), 22, "relu"),
                   ((2, 7, 3, 1), 23, "tanh"), ((5, 1), 24, "relu"), ((6, 3, 8, 4, 5, 1), 25, "sigmoid")]


@judgement("deep_forward")
def judge_deep_forward(deep_forward: Callable, *, hidden: bool = False, seed: int | None = None) -> Result:
    """``deep_forward(x, params, activation)`` against the TensorFlow forward pass
    (hidden: networks drawn from ``seed``, see :func:`_drawn_seed`)."""
    specs = _FORWARD_HIDDEN if hidden else _FORWARD_VISIBLE
    for index, (sizes, fixed, activation) in enumerate(specs):
        x_scale = 2.0 if index % 2 else 1.0
        case_seed = _drawn_seed(seed if hidden else None, index, fixed, sizes, activation, x_scale=x_scale)
        case = _Case(sizes, case_seed, activation, x_scale=x_scale)
        what = f"deep_forward(x, params, activation={activation!r}) for layer_sizes={case.sizes}"
        result = call_student(deep_forward, case.fresh_x(), case.fresh_params(), activation, what=what).value
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise GradingError(f"{what} should return a pair (zs, activations).")
        L = case.n_layers
        zs = _sequence(result[0], "zs", L, "one pre-activation z per layer")
        if len(result[1]) == L and not isinstance(result[1], (str, bytes)):
            raise GradingError(f"activations should have {L + 1} items for {L} layers: "
                               "activations[0] is the input x itself, then one output per layer.")
        acts = _sequence(result[1], "activations", L + 1, "the input x followed by every layer's output")
        for layer in range(L):
            n_out = case.sizes[layer + 1]
            z = as_array(zs[layer], f"zs[{layer}]", (n_out,))
            a = as_array(acts[layer + 1], f"activations[{layer + 1}]", (n_out,))
            exp_z, exp_a = case.zs[layer], case.activations[layer + 1]
            if not _all_close(z, exp_z, _atol(exp_z)):
                hint = ("z = W @ a_prev + b, with a_prev the previous layer's output (x for layer 0)"
                        if layer else "z = W @ x + b")
                raise GradingError(f"{what}: zs[{layer}] (layer {layer}, counting from 0 at the input) "
                                   f"is wrong: ||z|| should be {fmt(oracle.frobenius(exp_z))}, "
                                   f"got {fmt(oracle.frobenius(z))}.\nHint: {hint}.", "wrong_pre_activation")
            if not _all_close(a, exp_a, _atol(exp_a)):
                if layer == L - 1:
                    hint = "the output layer always uses the sigmoid, whatever the hidden activation"
                else:
                    hint = f"hidden layers use the {activation!r} activation of their own z"
                raise GradingError(f"{what}: activations[{layer + 1}] (the output of layer {layer}) is "
                                   f"wrong although its z is right.\nHint: {hint}.",
                                   "output_layer_activation" if layer == L - 1 else "hidden_activation")
    return passed_result("deep_forward", f"deep_forward matches TensorFlow on {len(specs)} network(s)")


# --------------------------------------------------------------------------- backward
# Non-square layers come first, so a missing transpose fails with a shape hint.
# Seeds chosen so that no ReLU layer dies completely: with zero biases the next layer's z
# would be exactly 0, where the ReLU derivative is a convention (a test guards this).
_BACKWARD_VISIBLE = [dict(sizes=(3, 4, 2, 1), seed=32)]
_BACKWARD_HIDDEN = [
    dict(sizes=(3, 5, 4, 2, 1), seed=44),
    dict(sizes=(4, 4, 4, 4, 1), seed=42, y=0.0),
    dict(sizes=(5, 7, 6, 8, 3, 1), seed=46, x_scale=3.0),  # saturated regime
    dict(sizes=(2, 3, 1), seed=44, y=0.0, w_scale=2.5),
    dict(sizes=(6, 1), seed=45),
    dict(sizes=(3, 8, 8, 8, 8, 8, 1), seed=46, y=0.0),
]


def _diagnose_backward(case: _Case, layer: int, dW: np.ndarray, grads_got: list) -> str:
    L = case.n_layers
    expected = case.grads[layer][0]
    if layer == L - 1:
        first = grads_got[0]
        if L > 1 and first.shape == expected.shape and _all_close(first, expected, _atol(expected)):
            return ("your list is in reverse order: item 0 must be the layer nearest the input, "
                    "the output layer comes last.")
        if _all_close(dW, -expected, _atol(expected)):
            return "the sign is flipped: for sigmoid + BCE, dL/dz of the output is y_pred - y."
        return ("the output layer: dL/dz = y_pred - y (sigmoid + BCE), dL/dW = np.outer(dz, a_prev), "
                "dL/db = dz.")
    if not any(dW.ravel().tolist()) and any(expected.ravel().tolist()):
        if case.activation == "relu":
            return ("it is all zeros: a 'dead' ReLU derivative. It is 1 where z > 0 (the unit "
                    "was active) and 0 elsewhere.")
        return "it is all zeros although the gradient reaching this layer is not."
    if _all_close(dW, -expected, _atol(expected)):
        return "the sign is flipped."
    return (f"the layer after it is right, so the error is in how the gradient travels back into "
            f"layer {layer}: dL/da_prev = W.T @ dz of the next layer (the transpose of W, not W), "
            f"then multiply by the activation derivative; {_ACTIVATION_HINT[case.activation]}.")


# Misconception ids of the diagnoses above and below (a phrase of the text -> id).
_DIAGNOSIS_IDS = (
    ("reverse order", "reversed_layer_order"), ("order is reversed", "reversed_layer_order"),
    ("sign is flipped", "sign_flipped"), ("the output layer:", "output_layer_gradient"),
    ("'dead' ReLU", "dead_relu_derivative"), ("all zeros", "zero_gradient"),
    ("travels back into", "gradient_into_hidden_layer"),
    ("norms of the activations", "norms_of_activations"), ("norms of the weights", "norms_of_weights"),
    ("norms of dL/db", "norms_of_bias_gradients"), ("squared norms", "squared_norms"),
    ("for seed=0", "ignored_seed"), ("sigmoid network's gradients", "ignored_activation"),
    ("even the output layer", "analysis_output_layer_off"), ("down to the input are off", "analysis_early_layers_off"),
)


def _diagnosis_id(diagnosis: str) -> str | None:
    return next((id_ for phrase, id_ in _DIAGNOSIS_IDS if phrase in diagnosis), None)


def _shape_of(pair: Any) -> tuple | None:
    try:
        return as_array(pair[0], "dW").shape
    except Exception:  # noqa: BLE001 - only a hint; the full check reports the problem
        return None


@judgement(lambda deep_backward, activation, **_: f"deep_backward[{activation}]")
def judge_deep_backward(deep_backward: Callable, activation: str, *, hidden: bool = False,
                        seed: int | None = None) -> Result:
    """``deep_backward(y, zs, activations, params, activation)`` against ``tf.GradientTape``.

    The forward values passed in come from the oracle, so a wrong forward pass does not
    cost these points.  Compares dW and db of every layer.
    """
    specs = _BACKWARD_HIDDEN if hidden else _BACKWARD_VISIBLE
    for index, spec in enumerate(specs):
        shape = dict(x_scale=spec.get("x_scale", 1.0), y=spec.get("y", 1.0), w_scale=spec.get("w_scale", 1.0))
        case_seed = _drawn_seed(seed if hidden else None, index, spec["seed"], spec["sizes"], activation, **shape)
        case = _Case(spec["sizes"], case_seed, activation, **shape)
        L = case.n_layers
        what = f"deep_backward(...) with {case.describe()}"
        try:
            result = call_student(
                deep_backward, case.y, [z.copy() for z in case.zs], [a.copy() for a in case.activations],
                case.fresh_params(), activation, what=what,
                forbid_autodiff=_AUTODIFF_MESSAGE.format(name="deep_backward"),
            ).value
        except GradingError as error:
            _reraise_with_hint(error)
        pairs = _sequence(result, "deep_backward's result", L, "one (dW, db) pair per layer")
        shapes = [_shape_of(pair) for pair in pairs]
        wanted = [W.shape for W, _ in case.params]
        if L > 1 and shapes != wanted and shapes == wanted[::-1]:
            raise GradingError(f"{what}: your list is in reverse order (its first dW has the output "
                               f"layer's shape {wanted[-1]}): item 0 must be the layer nearest the input.",
                               "reversed_layer_order")
        grads_got = []
        for layer, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise GradingError(f"item {layer} of deep_backward's result should be a pair (dW, db), "
                                   f"like the (W, b) pairs of params.")
            W = case.params[layer][0]
            dW = as_array(pair[0], f"dW of layer {layer}")
            if dW.shape != W.shape:
                if dW.shape == W.shape[::-1] and W.shape[0] != W.shape[1]:
                    raise GradingError(f"{what}: dW of layer {layer} has shape {dW.shape}, the transpose "
                                       f"of W's {W.shape}. dL/dW = np.outer(dz, a_prev): rows follow the "
                                       f"layer's outputs, columns its inputs.", "transposed_dW")
                dW = as_array(pair[0], f"dW of layer {layer}", W.shape)
            db = as_array(pair[1], f"db of layer {layer}", (W.shape[0],))
            grads_got.append((dW, db))
        for layer in range(L - 1, -1, -1):  # the order backprop computes them
            exp_dW, exp_db = case.grads[layer]
            dW, db = grads_got[layer]
            atol = _atol(*[g for pair in case.grads for g in pair])
            if not _all_close(dW, exp_dW, atol):
                diagnosis = _diagnose_backward(case, layer, dW, [g[0] for g in grads_got])
                raise GradingError(
                    f"{what}: dL/dW of layer {layer} (counting from 0 at the input) is the first wrong "
                    f"one going backwards from the output: ||dW|| should be "
                    f"{fmt(oracle.frobenius(exp_dW))}, got {fmt(oracle.frobenius(dW))}.\n"
                    f"Likely: {diagnosis}", _diagnosis_id(diagnosis))
            if not _all_close(db, exp_db, atol):
                raise GradingError(f"{what}: dW of layer {layer} is right but db is wrong: dL/db = dL/dz "
                                   f"of that layer (shape {exp_db.shape}).", "wrong_bias_gradient")
    return passed_result(f"deep_backward[{activation}]",
                         f"deep_backward ({activation}) matches tf.GradientTape on {len(specs)} network(s)")


# --------------------------------------------------------------------------- analyze
_ANALYZE_VISIBLE = [((3, 4, 2, 1), "sigmoid", 0, 1.0), ((2, 5, 1), "relu", 1, 0.0)]
_ANALYZE_HIDDEN = [
    ((3, 5, 4, 2, 1), "sigmoid", 7, 1.0),
    ((4, 6, 6, 6, 1), "relu", 3, 0.0),
    ((2, 9, 3, 1), "tanh", 12, 1.0),
    (DEMO_LAYER_SIZES, "sigmoid", 0, 1.0),
    (DEMO_LAYER_SIZES, "relu", 5, 1.0),
    ((5, 8, 8, 8, 8, 8, 8, 8, 1), "sigmoid", 2, 0.0),
    ((7, 1), "relu", 4, 1.0),
]


def _call_analyze(analyze: Callable, x, y, sizes, activation, seed) -> tuple[np.ndarray, str]:
    what = f"analyze_gradient_flow(x, y={y:g}, layer_sizes={list(sizes)}, activation={activation!r}, seed={seed})"
    try:
        value = call_student(analyze, np.array(x, dtype=float), y, list(sizes),
                             activation=activation, seed=seed, what=what).value
    except GradingError as error:
        _reraise_with_hint(error)
    return as_array(value, "analyze_gradient_flow's result").reshape(-1), what


def _student_norms(analyze: Callable, x, y, sizes, activation, seed, raw=None) -> np.ndarray:
    L = len(sizes) - 1
    norms, what = raw if raw is not None else _call_analyze(analyze, x, y, sizes, activation, seed)
    if norms.size != L:
        extra = (" (did you include the input or the biases?)" if norms.size > L else "")
        raise GradingError(f"{what} should return one norm per weight matrix, {L} values for "
                           f"{len(sizes)} layer sizes, but it returned {norms.size}{extra}.")
    return norms.reshape(L), what


def _diagnose_norms(norms: np.ndarray, case: _Case, expected: np.ndarray) -> str:
    atol = _atol(expected)

    def matches(candidate) -> bool:
        return _all_close(norms, np.array(candidate, dtype=float), atol)

    if matches(expected[::-1]):
        return "the order is reversed: index 0 must be the layer nearest the input."
    acts = [oracle.frobenius(a) for a in case.activations]
    zs = [oracle.frobenius(z) for z in case.zs]
    if matches(acts[1:]) or matches(acts[:-1]) or matches(zs):
        return ("these are norms of the activations (or pre-activations), not of the gradients "
                "dL/dW: take np.linalg.norm(dW) of each layer's weight gradient.")
    if matches([oracle.frobenius(W) for W, _ in case.params]):
        return "these are norms of the weights W, not of their gradients dL/dW."
    if matches([oracle.frobenius(db) for _, db in case.grads]):
        return "these are norms of dL/db (= dL/dz), not of dL/dW."
    if matches(expected ** 2):
        return "these are squared norms: the Frobenius norm is the square root of the sum of squares."
    if case.seed != 0:
        other = oracle.reference_analyze(case.x, case.y, case.sizes, case.activation, 0, scale=1.0)
        if matches(other):
            return "these are the gradients for seed=0: pass seed on to init_params(layer_sizes, seed)."
    if case.activation != "sigmoid":
        other = oracle.reference_analyze(case.x, case.y, case.sizes, "sigmoid", case.seed, scale=1.0)
        if matches(other):
            return f"these are the sigmoid network's gradients: use the activation={case.activation!r} argument."
    wrong = [i for i in range(len(norms)) if not close(float(norms[i]), float(expected[i]), RTOL, atol)]
    first = wrong[-1]
    if first == len(norms) - 1:
        return (f"even the output layer (index {first}) is off; build the network with "
                "init_params(layer_sizes, seed) and use your deep_forward / deep_backward.")
    return (f"the layers from index {first} down to the input are off (the first wrong one going "
            f"backwards is index {first}); re-run your deep_backward tests.")


def _failure_detail(message: str) -> str | None:
    """``"ValueError: shapes …"`` from call_student's ``"… raised ValueError: shapes …"``."""
    first = message.split("\n", 1)[0]
    return first.split(" raised ", 1)[1] if " raised " in first else None


def _own_results(namespace: Mapping[str, Any] | None, cases: list[_Case]) -> None:
    """Compute :func:`_own_result` for every case up front, whether or not the verdict needs
    it: a check then asks the student's own functions the same questions whatever they
    answer (the grader sends exactly the questions a correct notebook is asked)."""
    for case in cases:
        _own_result(namespace, case)


def _own_result(namespace: Mapping[str, Any] | None, case: _Case) -> np.ndarray | str | None:
    """What the student's OWN ``deep_forward``/``deep_backward`` give for ``case``.

    The per-layer ``||dL/dW||`` (an array), or the error they raise (its
    :func:`_failure_detail`), or None when the namespace lacks them.  This is the
    reference for error carried forward: an ``analyze_gradient_flow`` that agrees with
    it analyses correctly, whatever slip its building blocks have (those lose points in
    their own tests).
    """
    if namespace is None:
        return None
    cached = case.own_results.get(id(namespace), _MISSING)
    if cached is _MISSING:
        cached = case.own_results[id(namespace)] = _compute_own_result(namespace, case)
    return cached


_MISSING = object()


def _compute_own_result(namespace: Mapping[str, Any], case: _Case) -> np.ndarray | str | None:
    forward, backward = namespace.get("deep_forward"), namespace.get("deep_backward")
    if not (callable(forward) and callable(backward)):
        return None
    try:
        zs, acts = tuple(call_student(forward, case.fresh_x(), case.fresh_params(), case.activation,
                                       what="deep_forward").value)
        grads = call_student(backward, case.y, zs, acts, case.fresh_params(), case.activation,
                             what="deep_backward").value
        pairs = _sequence(grads, "deep_backward's result", case.n_layers, "one (dW, db) pair per layer")
        return np.array([oracle.frobenius(as_array(pair[0], "dW")) for pair in pairs])
    except GradingError as error:
        return _failure_detail(str(error))
    except Exception:  # noqa: BLE001 - an odd result means no error carried forward
        return None


def _analysis_case(analyze: Callable, case: _Case) -> tuple[np.ndarray, str] | GradingError:
    """The student's raw result for ``case`` (norms, description), or the error it raised."""
    try:
        return _call_analyze(analyze, case.x, case.y, case.sizes, case.activation, case.seed)
    except GradingError as error:
        return error


def _judge_analysis(result: tuple[np.ndarray, str] | GradingError, case: _Case,
                    namespace: Mapping[str, Any] | None) -> str:
    """"right" or "carried" (consistent with the student's own functions); raises if wrong.

    "carried" covers both norms equal to the own functions' norms and the very same
    error the own functions raise (a missing transpose breaks both the same way).
    """
    if isinstance(result, GradingError):
        detail = _failure_detail(str(result))
        if detail is not None and detail == _own_result(namespace, case):
            return "carried"
        raise result
    norms, what = _student_norms(None, case.x, case.y, case.sizes, case.activation, case.seed, raw=result)
    if _all_close(norms, case.norms, _atol(case.norms)):
        return "right"
    own = _own_result(namespace, case)
    if isinstance(own, np.ndarray) and own.shape == norms.shape and _all_close(norms, own, _atol(own)):
        return "carried"
    diagnosis = _diagnose_norms(norms, case, case.norms)
    raise GradingError(f"{what} is wrong.\nLikely: {diagnosis}", _diagnosis_id(diagnosis))


@judgement("analyze_gradient_flow")
def judge_analyze_gradient_flow(analyze: Callable, namespace: Mapping[str, Any] | None = None, *,
                                hidden: bool = False, seed: int | None = None) -> Result:
    """``analyze_gradient_flow`` returns the per-layer ``||dL/dW||_F`` of each case.

    Judges the analysis, not the backward pass again: a result equal to what the
    student's own ``deep_forward``/``deep_backward`` (read from ``namespace``, the
    notebook's ``globals()``) give for the same network passes too, so one slip in an
    activation derivative costs only that activation's backward test.
    """
    specs = _ANALYZE_HIDDEN if hidden else _ANALYZE_VISIBLE
    cases = []
    for index, (sizes, activation, fixed, y) in enumerate(specs):
        x = DEMO_X if tuple(sizes) == tuple(DEMO_LAYER_SIZES) else None
        case_seed = _drawn_seed(seed if hidden else None, index, fixed, sizes, activation, y=y, x=x)
        cases.append(_Case(sizes, case_seed, activation, y=y, x=x))
    results = [_analysis_case(analyze, case) for case in cases]
    _own_results(namespace, cases)
    raws = [r[0] for r in results if not isinstance(r, GradingError)]
    if len(raws) > 1 and len(raws) == len(results) and \
            all(r.shape == raws[0].shape and _all_close(r, raws[0], 0.0) for r in raws[1:]):
        raise GradingError(f"analyze_gradient_flow returned exactly the same numbers for {len(raws)} "
                           "different networks: the result must be computed, not hard-coded.", "hard_coded")
    outcomes = [_judge_analysis(result, case, namespace) for result, case in zip(results, cases)]
    carried = outcomes.count("carried")
    if carried:
        return passed_result("analyze_gradient_flow",
                             f"analyze_gradient_flow is consistent with your own deep_forward and deep_backward "
                             f"on {len(specs)} network(s) ({carried} differ from TensorFlow because of them; "
                             "their own tests say where)", carried_from="deep_backward")
    return passed_result("analyze_gradient_flow",
                         f"analyze_gradient_flow matches tf.GradientTape on {len(specs)} network(s)")


# --------------------------------------------------------------------------- phenomenon
def phenomenon_ratios(sigmoid_norms: np.ndarray, relu_norms: np.ndarray) -> tuple[float, float]:
    """``(sigmoid first/last, relu largest/smallest)`` of two per-layer norm arrays."""
    s = [float(v) for v in sigmoid_norms]
    r = [float(v) for v in relu_norms]
    sigmoid_ratio = s[0] / s[-1] if s[-1] > 0 else float("inf")
    relu_spread = max(r) / min(r) if min(r) > 0 else float("inf")
    return sigmoid_ratio, relu_spread


@judgement("vanishing_phenomenon")
def judge_vanishing_phenomenon(analyze: Callable, namespace: Mapping[str, Any] | None = None) -> Result:
    """At the default seed the 5-layer sigmoid network's first layer gets a gradient at
    least 10x smaller than its last, and the ReLU network's norms stay within 4x.

    An analysis that is right for the student's own ``deep_forward``/``deep_backward``
    (see :func:`check_analyze_gradient_flow`) passes too: the slip that hides the
    phenomenon is charged in the backward tests, once.
    """
    L = len(DEMO_LAYER_SIZES) - 1
    cases = [_Case(DEMO_LAYER_SIZES, 0, activation, y=DEMO_Y, x=DEMO_X) for activation in ("sigmoid", "relu")]
    results = [_analysis_case(analyze, case) for case in cases]
    _own_results(namespace, cases)

    def carried_forward() -> bool:
        try:
            return "carried" in [_judge_analysis(result, case, namespace) for result, case in zip(results, cases)]
        except GradingError:
            return False

    if any(isinstance(result, GradingError) for result in results):
        if carried_forward():
            return passed_result("vanishing_phenomenon", "your analysis fails exactly where your own "
                                 "deep_backward does (its own tests say why)", carried_from="deep_backward")
        raise next(result for result in results if isinstance(result, GradingError))
    (sig, _), (relu, _) = (_student_norms(None, c.x, c.y, c.sizes, c.activation, c.seed, raw=r)
                           for r, c in zip(results, cases))
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
def judge_gradient_after_10_layers(namespace: Mapping[str, Any], *, hidden: bool = False) -> Result:
    """Reflection Q2: ``gradient_after_10_layers`` in ``namespace`` (the notebook's
    ``globals()``) is 0.25 ** 10 ~ 9.54e-7, right to 3 significant figures.

    The visible part only checks that it is a number."""
    name = "gradient_after_10_layers"
    if name not in namespace:
        raise GradingError(missing_answer(name, namespace), "missing_answer")
    number = as_scalar(namespace[name], name)
    if not hidden:
        return passed_result(name, f"{name} is a number")
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
check_vanishing_phenomenon = reporting(judge_vanishing_phenomenon)
check_gradient_after_10_layers = reporting(judge_gradient_after_10_layers)
