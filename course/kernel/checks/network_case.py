"""How notebook 3's functions are judged on one network (student side, shared).

A :class:`NetworkCase` is one network and sample: ``init_params`` weights, the input,
and what ``tf.GradientTape`` gives there (the forward values, the gradients, their
norms).  The visible checks (:mod:`.gradient_flow`) fill it from constant tables, the
grader's judges (``course.checks.gradient_flow``) from the oracle; everything else is
the same for both and lives here: how a student's ``deep_forward``, ``deep_backward``
and ``analyze_gradient_flow`` are called on a case, compared, diagnosed (with the
misconception ids of :mod:`course.kernel.misconceptions`) and, for the analysis, carried forward
from the student's own building blocks.

Results are coerced to float64 with :mod:`course.kernel.coerce` and compared with ``RTOL``
plus an ``atol`` relative to the largest value of the case, so float32 code passes.  A
failure names the first wrong layer going backwards from the output (the order
backprop computes them).  Student functions are called only through
:func:`course.kernel.calls.call_student`.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from course.kernel.coerce import as_array, close
from course.kernel.messages import GradingError, fmt
from course.kernel.pristine import abs, float, isinstance, len, list, max, np_array, np_float64, range, sqrt, tuple, zip
from course.kernel.calls import call_student
from course.kernel.result import Result, passed_result

__all__ = [
    "NetworkCase", "RTOL", "ATOL_FRACTION", "AUTODIFF_MESSAGE",
    "frobenius", "all_close", "atol_of", "sequence", "reraise_with_hint",
    "verify_forward", "verify_backward", "analysis_case", "analysis_outcome", "verify_analyses",
    "OwnFunctions", "own_results", "student_norms",
]

RTOL = 1e-3
ATOL_FRACTION = 1e-6  # absolute slack, as a fraction of the largest value in the case

# What the manual backward pass is told when automatic differentiation ran during the call
# (course.kernel.autodiff observes what ran, not names).  Only deep_backward is watched: the
# analysis is judged as an analysis, so a tape inside deep_backward costs its own tests once.
AUTODIFF_MESSAGE = (
    "{name} must compute the gradients by hand with the chain rule (numpy only), but while "
    "it ran it used automatic differentiation: {{used}}. TensorFlow is what the tests "
    "compare you against."
)
_ACTIVATION_HINT = {
    "sigmoid": "the hidden sigmoid derivative is a * (1 - a) of that layer's own output a",
    "tanh": "the tanh derivative is 1 - a**2 of that layer's own output a",
    "relu": "the ReLU derivative is 1 where z > 0 and 0 elsewhere (not the ReLU output itself)",
}


def frobenius(matrix) -> float:
    """``sqrt(sum of squares)`` of an array, as a Python float."""
    flat = np_array(matrix, dtype=np_float64).ravel().tolist()
    return sqrt(sum(value * value for value in flat))


class NetworkCase:
    """One network + sample: ``params`` (``init_params`` weights) and the input ``x``.

    Subclasses fill in what the tape gives there, each None where no check needs it:
    ``zs`` and ``activations`` (the forward pass), ``grads`` (``(dW, db)`` per layer) and
    ``norms`` (``||dL/dW||_F`` per layer, a 1-D array), and answer
    :meth:`mistaken_norms`.
    """

    zs: list | None = None
    activations: list | None = None
    grads: list | None = None
    norms: np.ndarray | None = None

    def __init__(self, sizes: Sequence[int], seed: int, activation: str, *, y: float, x, params: list,
                 w_scale: float = 1.0):
        self.sizes = list(sizes)
        self.seed = seed
        self.activation = activation
        self.y = float(y)
        self.x = np.array(x, dtype=float)
        self.w_scale = w_scale
        self.params = params
        self.own_results: dict[tuple, Any] = {}   # ids of the own functions -> _own_result, computed once

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

    def mistaken_norms(self, mistake: str) -> list:
        """The per-layer norms a mistaken analysis gives here: ``"activation_norms"`` (of
        every activation, the input first), ``"z_norms"``, ``"bias_gradient_norms"``,
        ``"seed_0_norms"`` (the network of seed 0) or ``"sigmoid_norms"`` (of the sigmoid
        network)."""
        raise NotImplementedError


def atol_of(*arrays: np.ndarray) -> float:
    # Python floats only: a student who rebinds np.max / np.abs cannot widen the tolerance.
    biggest = max([abs(v) for a in arrays for v in a.ravel().tolist()] + [0.0])
    return ATOL_FRACTION * max(biggest, 1e-12)


def all_close(got: np.ndarray, expected: np.ndarray, atol: float) -> bool:
    if got.shape != expected.shape:
        return False
    for g, e in zip(got.ravel().tolist(), expected.ravel().tolist()):
        if not close(g, e, RTOL, atol):
            return False
    return True


def sequence(value: Any, name: str, length: int, what: str) -> list:
    """``value`` as a list of ``length`` items (a list, tuple or 1-D+ array), or a GradingError."""
    if isinstance(value, np.ndarray) and value.dtype != object and value.ndim >= 1:
        value = list(value)
    if not isinstance(value, (list, tuple)):
        kind = "None" if value is None else f"a {type(value).__name__}"
        raise GradingError(f"{name} should be a list with {what}, but it is {kind}.")
    if len(value) != length:
        raise GradingError(f"{name} should be a list with {what} ({length} for this network), "
                           f"but it has {len(value)} items.")
    return list(value)


def reraise_with_hint(error: GradingError) -> None:
    """Raise ``error``, with the transpose hint when it is about shapes."""
    message = str(error)
    if any(word in message for word in ("mismatch", "align", "broadcast", "shapes", "shape")):
        raise GradingError(
            message + "\nHint: W of layer l has shape (n_out, n_in). Going backwards, "
            "dL/da_prev = W.T @ dz (note the transpose) and dL/dW = np.outer(dz, a_prev).", "missing_transpose"
        ) from None
    raise error


# --------------------------------------------------------------------------- forward
def verify_forward(deep_forward: Callable, case: NetworkCase) -> None:
    """``deep_forward(x, params, activation)`` on ``case`` against its ``zs`` and
    ``activations``; raises a GradingError naming the first wrong layer."""
    activation = case.activation
    what = f"deep_forward(x, params, activation={activation!r}) for layer_sizes={case.sizes}"
    result = call_student(deep_forward, case.fresh_x(), case.fresh_params(), activation, what=what).value
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise GradingError(f"{what} should return a pair (zs, activations).")
    L = case.n_layers
    zs = sequence(result[0], "zs", L, "one pre-activation z per layer")
    if len(result[1]) == L and not isinstance(result[1], (str, bytes)):
        raise GradingError(f"activations should have {L + 1} items for {L} layers: "
                           "activations[0] is the input x itself, then one output per layer.")
    acts = sequence(result[1], "activations", L + 1, "the input x followed by every layer's output")
    for layer in range(L):
        n_out = case.sizes[layer + 1]
        z = as_array(zs[layer], f"zs[{layer}]", (n_out,))
        a = as_array(acts[layer + 1], f"activations[{layer + 1}]", (n_out,))
        exp_z, exp_a = case.zs[layer], case.activations[layer + 1]
        if not all_close(z, exp_z, atol_of(exp_z)):
            hint = ("z = W @ a_prev + b, with a_prev the previous layer's output (x for layer 0)"
                    if layer else "z = W @ x + b")
            raise GradingError(f"{what}: zs[{layer}] (layer {layer}, counting from 0 at the input) "
                               f"is wrong: ||z|| should be {fmt(frobenius(exp_z))}, "
                               f"got {fmt(frobenius(z))}.\nHint: {hint}.", "wrong_pre_activation")
        if not all_close(a, exp_a, atol_of(exp_a)):
            if layer == L - 1:
                hint = "the output layer always uses the sigmoid, whatever the hidden activation"
            else:
                hint = f"hidden layers use the {activation!r} activation of their own z"
            raise GradingError(f"{what}: activations[{layer + 1}] (the output of layer {layer}) is "
                               f"wrong although its z is right.\nHint: {hint}.",
                               "output_layer_activation" if layer == L - 1 else "hidden_activation")


# --------------------------------------------------------------------------- backward
def _diagnose_backward(case: NetworkCase, layer: int, dW: np.ndarray, grads_got: list) -> tuple[str, str]:
    """(misconception id, what is likely wrong) for the first wrong dW, at ``layer``."""
    L = case.n_layers
    expected = case.grads[layer][0]
    if layer == L - 1:
        first = grads_got[0]
        if L > 1 and first.shape == expected.shape and all_close(first, expected, atol_of(expected)):
            return "reversed_layer_order", ("your list is in reverse order: item 0 must be the layer nearest "
                                            "the input, the output layer comes last.")
        if all_close(dW, -expected, atol_of(expected)):
            return "sign_flipped", "the sign is flipped: for sigmoid + BCE, dL/dz of the output is y_pred - y."
        return "output_layer_gradient", ("the output layer: dL/dz = y_pred - y (sigmoid + BCE), "
                                         "dL/dW = np.outer(dz, a_prev), dL/db = dz.")
    if not any(dW.ravel().tolist()) and any(expected.ravel().tolist()):
        if case.activation == "relu":
            return "dead_relu_derivative", ("it is all zeros: a 'dead' ReLU derivative. It is 1 where z > 0 "
                                            "(the unit was active) and 0 elsewhere.")
        return "zero_gradient", "it is all zeros although the gradient reaching this layer is not."
    if all_close(dW, -expected, atol_of(expected)):
        return "sign_flipped", "the sign is flipped."
    return "gradient_into_hidden_layer", (
        f"the layer after it is right, so the error is in how the gradient travels back into "
        f"layer {layer}: dL/da_prev = W.T @ dz of the next layer (the transpose of W, not W), "
        f"then multiply by the activation derivative; {_ACTIVATION_HINT[case.activation]}.")


def _shape_of(pair: Any) -> tuple | None:
    try:
        return as_array(pair[0], "dW").shape
    except Exception:  # noqa: BLE001 - only a hint; the full check reports the problem
        return None


def verify_backward(deep_backward: Callable, case: NetworkCase) -> None:
    """``deep_backward(y, zs, activations, params, activation)`` on ``case`` (given the
    case's forward values, so a wrong forward pass costs nothing here) against its
    ``grads``, dW and db of every layer; raises a GradingError naming the first wrong one."""
    activation = case.activation
    L = case.n_layers
    what = f"deep_backward(...) with {case.describe()}"
    try:
        result = call_student(
            deep_backward, case.y, [z.copy() for z in case.zs], [a.copy() for a in case.activations],
            case.fresh_params(), activation, what=what,
            forbid_autodiff=AUTODIFF_MESSAGE.format(name="deep_backward"),
        ).value
    except GradingError as error:
        reraise_with_hint(error)
    pairs = sequence(result, "deep_backward's result", L, "one (dW, db) pair per layer")
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
                                   f"layer's outputs, columns its inputs.", "transposed_weight_gradient")
            dW = as_array(pair[0], f"dW of layer {layer}", W.shape)
        db = as_array(pair[1], f"db of layer {layer}", (W.shape[0],))
        grads_got.append((dW, db))
    atol = atol_of(*[g for pair in case.grads for g in pair])
    for layer in range(L - 1, -1, -1):  # the order backprop computes them
        exp_dW, exp_db = case.grads[layer]
        dW, db = grads_got[layer]
        if not all_close(dW, exp_dW, atol):
            misconception, diagnosis = _diagnose_backward(case, layer, dW, [g[0] for g in grads_got])
            raise GradingError(
                f"{what}: dL/dW of layer {layer} (counting from 0 at the input) is the first wrong "
                f"one going backwards from the output: ||dW|| should be "
                f"{fmt(frobenius(exp_dW))}, got {fmt(frobenius(dW))}.\n"
                f"Likely: {diagnosis}", misconception)
        if not all_close(db, exp_db, atol):
            raise GradingError(f"{what}: dW of layer {layer} is right but db is wrong: dL/db = dL/dz "
                               f"of that layer (shape {exp_db.shape}).", "wrong_bias_gradient")


# --------------------------------------------------------------------------- analyze
def _call_analyze(analyze: Callable, case: NetworkCase) -> tuple[np.ndarray, str]:
    what = (f"analyze_gradient_flow(x, y={case.y:g}, layer_sizes={list(case.sizes)}, "
            f"activation={case.activation!r}, seed={case.seed})")
    try:
        value = call_student(analyze, np.array(case.x, dtype=float), case.y, list(case.sizes),
                             activation=case.activation, seed=case.seed, what=what).value
    except GradingError as error:
        reraise_with_hint(error)
    return as_array(value, "analyze_gradient_flow's result").reshape(-1), what


def student_norms(raw: tuple[np.ndarray, str], case: NetworkCase) -> tuple[np.ndarray, str]:
    """The student's analysis of ``case`` (``raw``: norms and description) as one norm
    per weight matrix, or a GradingError saying how many it should have."""
    L = len(case.sizes) - 1
    norms, what = raw
    if norms.size != L:
        extra = (" (did you include the input or the biases?)" if norms.size > L else "")
        raise GradingError(f"{what} should return one norm per weight matrix, {L} values for "
                           f"{len(case.sizes)} layer sizes, but it returned {norms.size}{extra}.")
    return norms.reshape(L), what


def _diagnose_norms(norms: np.ndarray, case: NetworkCase) -> tuple[str, str]:
    """(misconception id, what is likely wrong) for norms that are not the case's."""
    expected = case.norms
    atol = atol_of(expected)

    def matches(candidate) -> bool:
        return all_close(norms, np.array(candidate, dtype=float), atol)

    if matches(expected[::-1]):
        return "reversed_layer_order", "the order is reversed: index 0 must be the layer nearest the input."
    acts, zs = case.mistaken_norms("activation_norms"), case.mistaken_norms("z_norms")
    if matches(acts[1:]) or matches(acts[:-1]) or matches(zs):
        return "norms_of_activations", ("these are norms of the activations (or pre-activations), not of the "
                                        "gradients dL/dW: take np.linalg.norm(dW) of each layer's weight gradient.")
    if matches([frobenius(W) for W, _ in case.params]):
        return "norms_of_weights", "these are norms of the weights W, not of their gradients dL/dW."
    if matches(case.mistaken_norms("bias_gradient_norms")):
        return "norms_of_bias_gradients", "these are norms of dL/db (= dL/dz), not of dL/dW."
    if matches(expected ** 2):
        return "squared_norms", "these are squared norms: the Frobenius norm is the square root of the sum of squares."
    if case.seed != 0 and matches(case.mistaken_norms("seed_0_norms")):
        return "ignored_seed", "these are the gradients for seed=0: pass seed on to init_params(layer_sizes, seed)."
    if case.activation != "sigmoid" and matches(case.mistaken_norms("sigmoid_norms")):
        return "ignored_activation", (f"these are the sigmoid network's gradients: use the "
                                      f"activation={case.activation!r} argument.")
    wrong = [i for i in range(len(norms)) if not close(float(norms[i]), float(expected[i]), RTOL, atol)]
    first = wrong[-1]
    if first == len(norms) - 1:
        return "analysis_output_layer_off", (f"even the output layer (index {first}) is off; build the network "
                                             "with init_params(layer_sizes, seed) and use your deep_forward / "
                                             "deep_backward.")
    return "analysis_early_layers_off", (f"the layers from index {first} down to the input are off (the first "
                                         f"wrong one going backwards is index {first}); re-run your deep_backward "
                                         "tests.")


def _failure_detail(message: str) -> str | None:
    """``"ValueError: shapes …"`` from call_student's ``"… raised ValueError: shapes …"``."""
    first = message.split("\n", 1)[0]
    return first.split(" raised ", 1)[1] if " raised " in first else None


# The student's own (deep_forward, deep_backward), for error carried forward; either may be None.
OwnFunctions = tuple[Callable | None, Callable | None]


def own_results(own: OwnFunctions, cases: list[NetworkCase]) -> None:
    """Compute :func:`_own_result` for every case up front, whether or not the verdict needs
    it: a check then asks the student's own functions the same questions whatever they
    answer (in grading, the kernel is sent exactly the questions a correct notebook is asked)."""
    for case in cases:
        _own_result(own, case)


def _own_result(own: OwnFunctions, case: NetworkCase) -> np.ndarray | str | None:
    """What the student's OWN ``deep_forward``/``deep_backward`` (``own``) give for ``case``.

    The per-layer ``||dL/dW||`` (an array), or the error they raise (its
    :func:`_failure_detail`), or None when either is missing (not callable).  This is the
    reference for error carried forward: an ``analyze_gradient_flow`` that agrees with
    it analyses correctly, whatever slip its building blocks have (those lose points in
    their own tests).
    """
    key = tuple(id(function) for function in own)
    if key not in case.own_results:
        case.own_results[key] = _compute_own_result(own, case)
    return case.own_results[key]


def _compute_own_result(own: OwnFunctions, case: NetworkCase) -> np.ndarray | str | None:
    forward, backward = own
    if not (callable(forward) and callable(backward)):
        return None
    try:
        zs, acts = tuple(call_student(forward, case.fresh_x(), case.fresh_params(), case.activation,
                                       what="deep_forward").value)
        grads = call_student(backward, case.y, zs, acts, case.fresh_params(), case.activation,
                             what="deep_backward").value
        pairs = sequence(grads, "deep_backward's result", case.n_layers, "one (dW, db) pair per layer")
        return np.array([frobenius(as_array(pair[0], "dW")) for pair in pairs])
    except GradingError as error:
        return _failure_detail(str(error))
    except Exception:  # noqa: BLE001 - an odd result means no error carried forward
        return None


def analysis_case(analyze: Callable, case: NetworkCase) -> tuple[np.ndarray, str] | GradingError:
    """The student's raw result for ``case`` (norms, description), or the error it raised."""
    try:
        return _call_analyze(analyze, case)
    except GradingError as error:
        return error


def analysis_outcome(result: tuple[np.ndarray, str] | GradingError, case: NetworkCase, own: OwnFunctions) -> str:
    """"right" (the case's norms) or "carried" (consistent with the student's own
    functions); raises if wrong.  A case without norms is never "right".

    "carried" covers both norms equal to the own functions' norms and the very same
    error the own functions raise (a missing transpose breaks both the same way).
    """
    if isinstance(result, GradingError):
        detail = _failure_detail(str(result))
        if detail is not None and detail == _own_result(own, case):
            return "carried"
        raise result
    norms, what = student_norms(result, case)
    if case.norms is not None and all_close(norms, case.norms, atol_of(case.norms)):
        return "right"
    mine = _own_result(own, case)
    if isinstance(mine, np.ndarray) and mine.shape == norms.shape and all_close(norms, mine, atol_of(mine)):
        return "carried"
    if case.norms is None:
        raise GradingError(f"{what} differs from what your own deep_forward and deep_backward give.")
    misconception, diagnosis = _diagnose_norms(norms, case)
    raise GradingError(f"{what} is wrong.\nLikely: {diagnosis}", misconception)


def verify_analyses(analyze: Callable, own: OwnFunctions, cases: list[NetworkCase]) -> Result:
    """``analyze_gradient_flow`` returns the per-layer ``||dL/dW||_F`` of each case, or
    what the student's own ``deep_forward``/``deep_backward`` (``own``, either may be
    None) give there; raises a GradingError if not.

    Judges the analysis, not the backward pass again: one slip in an activation
    derivative costs only that activation's backward test.
    """
    results = [analysis_case(analyze, case) for case in cases]
    own_results(own, cases)
    raws = [r[0] for r in results if not isinstance(r, GradingError)]
    if len(raws) > 1 and len(raws) == len(results) and \
            all(r.shape == raws[0].shape and all_close(r, raws[0], 0.0) for r in raws[1:]):
        raise GradingError(f"analyze_gradient_flow returned exactly the same numbers for {len(raws)} "
                           "different networks: the result must be computed, not hard-coded.", "hard_coded")
    outcomes = [analysis_outcome(result, case, own) for result, case in zip(results, cases)]
    carried = outcomes.count("carried")
    if carried:
        return passed_result("analyze_gradient_flow",
                             f"analyze_gradient_flow is consistent with your own deep_forward and deep_backward "
                             f"on {len(cases)} network(s) ({carried} differ from TensorFlow because of them; "
                             "their own tests say where)", carried_from="deep_backward")
    return passed_result("analyze_gradient_flow",
                         f"analyze_gradient_flow matches tf.GradientTape on {len(cases)} network(s)")
