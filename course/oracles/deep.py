"""``tf.GradientTape`` oracle for the deep network of notebook 3 (float64).

Same convention as :mod:`course.exercise.networks`: column vectors, one sample, layer ``l``
computes ``z = W @ a + b`` with ``W`` of shape ``(n_out, n_in)``; hidden layers use
``activation`` (``"sigmoid"``, ``"relu"`` or ``"tanh"``), the output layer is a
single sigmoid unit and the loss is binary cross-entropy
``L = -[y log y_pred + (1 - y) log(1 - y_pred)]`` (computed from the logit, so it stays
finite in the saturated regime).  Everything is differentiated by TensorFlow; there is
no hand-written backward pass here.

``tf.GradientTape`` and the TensorFlow ops are captured at import, which happens in
the notebook's read-only first cell, before any student code runs.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf

from course.exercise.constants import ACTIVATIONS
from course.exercise.networks import init_params
from course.kernel.pristine import np_array as _np_array
from course.kernel.pristine import np_float64 as _np_float64
from course.kernel.pristine import np_full as _np_full
from course.kernel.pristine import sqrt as _sqrt

__all__ = [
    "ACTIVATIONS",
    "forward",
    "gradients",
    "forward_and_gradients",
    "gradient_norms",
    "reference_analyze",
]


_GradientTape = tf.GradientTape
_constant = tf.constant
_Variable = tf.Variable
_matvec = tf.linalg.matvec
_float64 = tf.float64
_hidden = {"sigmoid": tf.math.sigmoid, "relu": tf.nn.relu, "tanh": tf.math.tanh}
_sigmoid = tf.math.sigmoid
_bce_from_logits = tf.nn.sigmoid_cross_entropy_with_logits
_reduce_sum = tf.math.reduce_sum


def _check_activation(activation: str) -> None:
    if activation not in _hidden:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def _as_input(x) -> np.ndarray:
    return _np_array(x, dtype=_np_float64).reshape(-1)


def _run(x, y, params, activation, *, tape=None):
    """TF forward pass: (zs, activations, loss) as tensors."""
    a = _constant(_as_input(x), dtype=_float64)
    zs, activations = [], [a]
    last = len(params) - 1
    for index, (W, b) in enumerate(params):
        z = _matvec(W, a) + b
        a = _sigmoid(z) if index == last else _hidden[activation](z)
        zs.append(z)
        activations.append(a)
    labels = _constant(_np_full(zs[-1].shape, float(y)), dtype=_float64)
    loss = _reduce_sum(_bce_from_logits(labels=labels, logits=zs[-1]))
    return zs, activations, loss


def _variables(params):
    return [(_Variable(_np_array(W, dtype=_np_float64)), _Variable(_np_array(b, dtype=_np_float64)))
            for W, b in params]


def forward(x, params, activation: str = "sigmoid"):
    """Reference forward pass.

    Returns ``(zs, activations)`` as lists of 1-D float64 arrays: ``zs[l]`` of shape
    ``(n_{l+1},)`` is layer ``l``'s pre-activation, ``activations[0]`` is ``x`` and
    ``activations[l + 1]`` layer ``l``'s output, so ``activations[-1]`` is ``y_pred``
    of shape ``(1,)``.
    """
    _check_activation(activation)
    zs, activations, _ = _run(x, 0.0, _variables(params), activation)
    return [z.numpy() for z in zs], [a.numpy() for a in activations]


def loss(x, y, params, activation: str = "sigmoid") -> float:
    """Binary cross-entropy of the network on one sample, as a Python float."""
    _check_activation(activation)
    return float(_run(x, y, _variables(params), activation)[2].numpy())


def gradients(x, y, params, activation: str = "sigmoid"):
    """``[(dL/dW, dL/db), ...]`` per layer (index 0 nearest the input), float64 arrays
    of the same shapes as ``params``, computed with ``tf.GradientTape``."""
    return forward_and_gradients(x, y, params, activation)[2]


def forward_and_gradients(x, y, params, activation: str = "sigmoid"):
    """``(zs, activations, grads)`` of :func:`forward` and :func:`gradients` from one taped
    pass (the grader needs both for every case it judges)."""
    _check_activation(activation)
    variables = _variables(params)
    with _GradientTape() as tape:
        zs, activations, loss_value = _run(x, y, variables, activation)
    flat = [v for pair in variables for v in pair]
    grads = tape.gradient(loss_value, flat)
    return ([z.numpy() for z in zs], [a.numpy() for a in activations],
            [(grads[2 * i].numpy(), grads[2 * i + 1].numpy()) for i in range(len(variables))])


def frobenius(matrix) -> float:
    """Frobenius norm ``sqrt(sum of squares)`` of a float64 array, as a Python float."""
    flat = _np_array(matrix, dtype=_np_float64).ravel().tolist()
    return _sqrt(sum(value * value for value in flat))


def gradient_norms(x, y, params, activation: str = "sigmoid") -> np.ndarray:
    """1-D float64 array of ``||dL/dW||_F`` per layer, index 0 nearest the input."""
    return _np_array([frobenius(dW) for dW, _ in gradients(x, y, params, activation)], dtype=_np_float64)


def reference_analyze(x, y, layer_sizes: Sequence[int], activation: str = "sigmoid",
                      seed: int = 0, *, scale: float | None = None) -> np.ndarray:
    """What ``analyze_gradient_flow(x, y, layer_sizes, activation, seed)`` should return:
    the per-layer gradient norms of the network ``init_params(layer_sizes, seed)``.
    ``scale`` is passed to :func:`course.exercise.networks.init_params`."""
    return gradient_norms(x, y, init_params(layer_sizes, seed, scale=scale), activation)
