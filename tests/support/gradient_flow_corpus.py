"""Grader corpus for notebook 3 (gradient flow): student variants.

Variants are plain Python functions; a "student" is a dict of the names the notebook
defines.  ``support.notebook_grader.grade(NOTEBOOK, student)`` runs the SOURCE notebook's
graded test cells, hidden parts included, in a namespace holding them, so the notebook
and these tests cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course.exercise.networks import init_params

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "source" / "ex01_backprop" / "03_gradient_flow.ipynb"


# ============================================================================ building blocks
def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_naive(z):
    return 1.0 / (1.0 + np.exp(-z))  # overflow warnings in the saturated regime: harmless


def activate(z, activation):
    return {"sigmoid": sigmoid, "relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh}[activation](z)


def derivative(z, a, activation):
    if activation == "sigmoid":
        return a * (1.0 - a)
    if activation == "relu":
        return (z > 0).astype(float)
    return 1.0 - a ** 2


def forward_loop(x, params, activation="sigmoid"):
    a = np.asarray(x, dtype=float)
    zs, acts = [], [a]
    for index, (W, b) in enumerate(params):
        z = W @ a + b
        a = sigmoid(z) if index == len(params) - 1 else activate(z, activation)
        zs.append(z)
        acts.append(a)
    return zs, acts


def make_backward(deriv=derivative, transpose=True, reverse=False):
    def deep_backward(y, zs, activations, params, activation="sigmoid"):
        grads = []
        delta = activations[-1] - y
        for layer in range(len(params) - 1, -1, -1):
            W = params[layer][0]
            grads.append((np.outer(delta, activations[layer]), delta))
            if layer:
                back = W.T @ delta if transpose else W @ delta
                delta = back * deriv(zs[layer - 1], activations[layer], activation)
        return grads if reverse else grads[::-1]

    return deep_backward


def make_analyze(forward, backward, post=None):
    def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
        params = init_params(layer_sizes, seed)
        zs, acts = forward(x, params, activation)
        grads = backward(y, zs, acts, params, activation)
        norms = np.array([np.linalg.norm(dW) for dW, _ in grads])
        return post(norms, zs, acts) if post else norms

    return analyze_gradient_flow


def student(forward=forward_loop, backward=None, analyze=None, q2=0.25 ** 10) -> dict:
    backward = backward or make_backward()
    return {
        "deep_forward": forward,
        "deep_backward": backward,
        "analyze_gradient_flow": analyze or make_analyze(forward, backward),
        "gradient_after_10_layers": q2,
    }


# ============================================================================ correct variants
def forward_column(x, params, activation="sigmoid"):
    """Column vectors (n, 1) everywhere and a tuple of tuples back."""
    a = np.asarray(x, dtype=float).reshape(-1, 1)
    zs, acts = [], [a]
    for index, (W, b) in enumerate(params):
        z = np.dot(W, a) + b.reshape(-1, 1)
        a = sigmoid_naive(z) if index == len(params) - 1 else activate(z, activation)
        zs.append(z)
        acts.append(a)
    return tuple(zs), tuple(acts)


def backward_broadcast(y, zs, activations, params, activation="sigmoid"):
    """Broadcasting instead of outer/transpose; accepts 1-D or column inputs; simplified dz."""
    n = len(params)
    dWs, dbs = [None] * n, [None] * n
    delta = np.ravel(activations[-1]) - y
    layer = n - 1
    while layer >= 0:
        a_prev = np.ravel(activations[layer])
        dWs[layer] = delta[:, None] * a_prev[None, :]
        dbs[layer] = delta.reshape(-1, 1)  # column db: still the right numbers
        if layer:
            back = delta @ params[layer][0]  # 1-D @ 2-D == W.T @ delta
            a = np.ravel(activations[layer])
            if activation == "sigmoid":
                delta = back * a * (1 - a)
            elif activation == "relu":
                delta = np.where(np.ravel(zs[layer - 1]) > 0, back, 0.0)
            else:
                delta = back * (1 - np.tanh(np.ravel(zs[layer - 1])) ** 2)
        layer -= 1
    return list(zip(dWs, dbs))


def backward_elementwise(y, zs, activations, params, activation="sigmoid"):
    """Scalar loops over every weight (the notebook-2 style, generalised)."""
    n = len(params)
    out = [None] * n
    delta = [float(v) for v in np.ravel(activations[-1])]
    delta = [d - y for d in delta]
    for layer in range(n - 1, -1, -1):
        W = params[layer][0]
        a_prev = [float(v) for v in np.ravel(activations[layer])]
        dW = [[delta[i] * a_prev[j] for j in range(len(a_prev))] for i in range(len(delta))]
        out[layer] = [dW, list(delta)]  # nested lists, not arrays
        if layer:
            z = np.ravel(zs[layer - 1])
            new = []
            for j in range(W.shape[1]):
                s = sum(W[i, j] * delta[i] for i in range(len(delta)))
                a = a_prev[j]
                g = a * (1 - a) if activation == "sigmoid" else (1.0 if z[j] > 0 else 0.0) \
                    if activation == "relu" else 1 - a * a
                new.append(s * g)
            delta = new
    return out


def forward_float32(x, params, activation="sigmoid"):
    p32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in params]
    a = np.asarray(x, dtype=np.float32)
    zs, acts = [], [a]
    for index, (W, b) in enumerate(p32):
        z = W @ a + b
        a = (1 / (1 + np.exp(-z))).astype(np.float32) if index == len(p32) - 1 else activate(z, activation).astype(np.float32)
        zs.append(z)
        acts.append(a)
    return zs, acts


def backward_float32(y, zs, activations, params, activation="sigmoid"):
    zs = [np.asarray(z, dtype=np.float32) for z in zs]
    acts = [np.asarray(a, dtype=np.float32) for a in activations]
    p32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in params]
    return make_backward()(np.float32(y), zs, acts, p32, activation)


def analyze_list_float32(x, y, layer_sizes, activation="sigmoid", seed=0):
    params = init_params(layer_sizes, seed)
    zs, acts = forward_float32(x, params, activation)
    grads = backward_float32(y, zs, acts, params, activation)
    return [np.float32(np.sqrt(np.sum(np.asarray(dW, dtype=np.float32) ** 2))) for dW, _ in grads]


CORRECT = {
    "loops_float64": student(),
    "column_vectors_broadcasting": student(forward=forward_column, backward=backward_broadcast,
                                           analyze=make_analyze(forward_column, backward_broadcast)),
    "scalar_loops_nested_lists": student(backward=backward_elementwise, q2=9.54e-7,
                                         analyze=make_analyze(forward_loop, backward_elementwise,
                                                              post=lambda n, *_: n.tolist())),
    "float32_list_return": student(forward=forward_float32, backward=backward_float32,
                                   analyze=analyze_list_float32, q2=np.float32(0.25) ** 10),
}


# ============================================================================ mutants
def _relu_output_as_derivative(z, a, activation):
    return np.maximum(z, 0.0) if activation == "relu" else derivative(z, a, activation)


def _dead_relu(z, a, activation):
    return (a < 0).astype(float) if activation == "relu" else derivative(z, a, activation)


def _sigmoid_derivative_of_z(z, a, activation):
    return z * (1 - z) if activation == "sigmoid" else derivative(z, a, activation)


def _tanh_derivative_without_square(z, a, activation):
    return 1.0 - a if activation == "tanh" else derivative(z, a, activation)


def _forward_output_uses_hidden_activation(x, params, activation="sigmoid"):
    a = np.asarray(x, dtype=float)
    zs, acts = [], [a]
    for W, b in params:
        z = W @ a + b
        a = activate(z, activation)
        zs.append(z)
        acts.append(a)
    return zs, acts


def _backward_with_tape(y, zs, activations, params, activation="sigmoid"):
    import tensorflow as tf

    x = tf.constant(activations[0])
    variables = [(tf.Variable(W), tf.Variable(b)) for W, b in params]
    with tf.GradientTape() as tape:
        a = x
        for index, (W, b) in enumerate(variables):
            z = tf.linalg.matvec(W, a) + b
            a = tf.sigmoid(z) if index == len(variables) - 1 else getattr(tf.nn, activation)(z)
        loss = -(y * tf.math.log(a) + (1 - y) * tf.math.log(1 - a))
    flat = tape.gradient(loss, [v for pair in variables for v in pair])
    return [(flat[2 * i].numpy(), flat[2 * i + 1].numpy()) for i in range(len(params))]


def _stub(*args, **kwargs):
    raise NotImplementedError()


_HARD_CODED = np.array([0.00173975, 0.00938087, 0.04247763, 0.23061028, 0.99503581])

MUTANTS = {
    # name: (student, the tests it must lose, misconception words expected in feedback)
    "missing_transpose": student(backward=make_backward(transpose=False)),
    "relu_output_as_derivative": student(backward=make_backward(deriv=_relu_output_as_derivative)),
    "dead_relu_derivative": student(backward=make_backward(deriv=_dead_relu)),
    "layers_reversed": student(backward=make_backward(reverse=True)),
    "norms_reversed_only": student(analyze=make_analyze(forward_loop, make_backward(), post=lambda n, *_: n[::-1])),
    "norms_of_activations": student(analyze=make_analyze(
        forward_loop, make_backward(), post=lambda n, zs, acts: np.array([np.linalg.norm(a) for a in acts[1:]]))),
    "hard_coded_norms": student(analyze=lambda x, y, layer_sizes, activation="sigmoid", seed=0: _HARD_CODED.copy()),
    "sigmoid_derivative_of_z": student(backward=make_backward(deriv=_sigmoid_derivative_of_z)),
    "tanh_derivative_without_square": student(backward=make_backward(deriv=_tanh_derivative_without_square)),
    "output_uses_hidden_activation": student(forward=_forward_output_uses_hidden_activation,
                                             analyze=make_analyze(_forward_output_uses_hidden_activation,
                                                                  make_backward())),
    "tape_in_backward": student(backward=_backward_with_tape),
    "q2_added_not_multiplied": student(q2=2.5),
    "not_implemented": {name: _stub for name in ("deep_forward", "deep_backward", "analyze_gradient_flow")},
}
