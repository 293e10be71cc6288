"""Notebook 3 in a functional style: reduce for the forward pass, pullback closures backward.

Imitates: functional-programming code (in the spirit of JAX-style tutorials, but plain
numpy) where each layer returns its output and a closure mapping the upstream gradient
to (input gradient, dW, db); the forward pass is ``functools.reduce`` over the layers.
Written for this course.
"""
# %% [deep_forward_code]
from functools import reduce

_HIDDEN = {
    "sigmoid": lambda z: 0.5 * (1 + np.tanh(z / 2)),
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
}


def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    return _HIDDEN[activation](z)


def layer(W, b, activation):
    def apply(state):
        zs, activations = state
        z = W @ activations[-1] + b
        return zs + [z], activations + [activate(z, activation)]
    return apply


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    names = [activation] * (len(params) - 1) + ["sigmoid"]
    steps = [layer(W, b, name) for (W, b), name in zip(params, names)]
    return reduce(lambda state, step: step(state), steps, ([], [np.asarray(x, dtype=float)]))

# %% [deep_backward_code]
_SLOPE = {
    "sigmoid": lambda z, a: a * (1 - a),
    "relu": lambda z, a: (z > 0).astype(float),
    "tanh": lambda z, a: 1 - a * a,
}


def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    return _SLOPE[activation](z, a)


def pullback(W, a_prev):
    """Closure for one affine layer: dz -> (dL/da_prev, dW, db)."""
    return lambda dz: (W.T @ dz, np.outer(dz, a_prev), dz)


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    pullbacks = [pullback(W, a) for (W, _), a in zip(params, activations)]

    def step(carry, index):
        dz, grads = carry
        da_prev, dW, db = pullbacks[index](dz)
        if index:
            da_prev = da_prev * activation_derivative(zs[index - 1], activations[index], activation)
        return da_prev, [(dW, db)] + grads

    _, grads = reduce(step, reversed(range(len(params))), (activations[-1] - y, []))
    return grads

# %% [analyze_gradient_flow_code]
def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer Frobenius norms of dL/dW, index 0 nearest the input."""
    params = init_params(layer_sizes, seed)
    grads = deep_backward(y, *deep_forward(x, params, activation), params, activation)
    return np.fromiter(map(lambda g: np.linalg.norm(g[0]), grads), dtype=float)

# %% [gradient_after_10_layers_answer]
gradient_after_10_layers = reduce(lambda acc, _: acc * 0.25, range(10), 1.0)
