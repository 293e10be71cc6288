"""Reference implementations of the notebooks' functions, for recording a check's calls.

The grader runs each check once against these before the notebook runs
(:mod:`course.grader.replay`): correct code makes a judge go through all its cases, so
the recorded plan holds every call it may make of the student's code.  Their answers
never decide a score (the judges compare with the oracles in :mod:`course.oracles`);
they only need to be right so that no judge stops early.  Plain float64 NumPy, so
recording costs milliseconds.
"""

from __future__ import annotations

import numpy as np

from course.exercise.constants import GRADIENT_KEYS
from course.exercise.networks import init_params

__all__ = ["REFERENCES", "sigmoid", "forward_pass", "binary_cross_entropy", "backward_pass",
           "deep_forward", "deep_backward", "analyze_gradient_flow"]


def sigmoid(z):
    """σ(z) elementwise, without overflow; same shape as ``z``."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def forward_pass(x, W1, b1, W2, b2):
    """``(z1, a1, z2, y_pred)`` of the 1-1-1 network."""
    z1 = W1 * x + b1
    a1 = sigmoid(z1)
    z2 = W2 * a1 + b2
    return z1, a1, z2, sigmoid(z2)


def binary_cross_entropy(y_true, y_pred):
    """BCE with ``y_pred`` clipped to [1e-7, 1 - 1e-7], as Keras does."""
    p = np.clip(np.asarray(y_pred, dtype=np.float64), 1e-7, 1 - 1e-7)
    return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))


def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """The dict of :data:`course.exercise.constants.GRADIENT_KEYS`."""
    dy_pred = -y / y_pred + (1 - y) / (1 - y_pred) if 0 < y_pred < 1 else 0.0
    dz2 = y_pred - y
    da1 = dz2 * W2
    dz1 = da1 * a1 * (1 - a1)
    values = (dy_pred, dz2, dz2 * a1, dz2, da1, dz1, dz1 * x, dz1)
    return dict(zip(GRADIENT_KEYS, values))


def _activate(z, activation):
    return {"sigmoid": sigmoid, "relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh}[activation](z)


def _derivative(z, a, activation):
    return {"sigmoid": lambda: a * (1 - a), "relu": lambda: (z > 0).astype(float),
            "tanh": lambda: 1 - a ** 2}[activation]()


def deep_forward(x, params, activation="sigmoid"):
    """``(zs, activations)``: hidden layers use ``activation``, the output a sigmoid."""
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    zs, activations = [], [a]
    for index, (W, b) in enumerate(params):
        z = W @ a + b
        a = sigmoid(z) if index == len(params) - 1 else _activate(z, activation)
        zs.append(z)
        activations.append(a)
    return zs, activations


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """``[(dW, db), …]`` per layer, index 0 nearest the input (sigmoid + BCE output)."""
    grads = [None] * len(params)
    delta = activations[-1] - y
    for layer in range(len(params) - 1, -1, -1):
        grads[layer] = (np.outer(delta, activations[layer]), delta.copy())
        if layer:
            delta = (params[layer][0].T @ delta) * _derivative(zs[layer - 1], activations[layer], activation)
    return grads


def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """``||dL/dW||_F`` per layer of ``init_params(layer_sizes, seed)``."""
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    return np.array([np.linalg.norm(dW) for dW, _ in deep_backward(y, zs, activations, params, activation)])


REFERENCES = {function.__name__: function for function in (
    sigmoid, forward_pass, binary_cross_entropy, backward_pass, deep_forward, deep_backward, analyze_gradient_flow)}
