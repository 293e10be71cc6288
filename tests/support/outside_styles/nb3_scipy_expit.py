"""Notebook 3 with scipy.special.expit and a derivative taken from z.

Imitates: scientific-Python code that uses ``scipy.special.expit`` for the logistic
function and writes its derivative as ``expit(z) * expit(-z)``, with the activations in a
lookup table of (function, derivative) pairs.  Written for this course.
"""
# %% [deep_forward_code]
from scipy.special import expit

ACTIVATIONS = {
    "sigmoid": (expit, lambda z: expit(z) * expit(-z)),
    "relu": (lambda z: np.clip(z, 0.0, None), lambda z: np.heaviside(z, 0.0)),
    "tanh": (np.tanh, lambda z: 1.0 / np.cosh(z) ** 2),
}


def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    return ACTIVATIONS[activation][0](z)


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    activations, zs = [np.asarray(x, dtype=float)], []
    for W, b in params[:-1]:
        zs.append(W @ activations[-1] + b)
        activations.append(activate(zs[-1], activation))
    W, b = params[-1]
    zs.append(W @ activations[-1] + b)
    activations.append(expit(zs[-1]))
    return zs, activations

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    return ACTIVATIONS[activation][1](z)


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    grads = []
    delta = activations[-1] - y
    for layer in reversed(range(len(params))):
        grads.append((np.outer(delta, activations[layer]), delta))
        if layer:
            delta = (params[layer][0].T @ delta) * activation_derivative(zs[layer - 1], activations[layer], activation)
    return grads[::-1]

# %% [gradient_after_10_layers_answer]
gradient_after_10_layers = expit(0.0) * (1 - expit(0.0))   # the largest sigmoid slope...
gradient_after_10_layers = gradient_after_10_layers ** 10   # ...once per layer
