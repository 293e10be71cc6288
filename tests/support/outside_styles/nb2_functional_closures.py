"""Notebook 2 in a functional style with closures.

Imitates: code that treats a layer as a function returning its output together with a
"pullback" closure that maps the upstream gradient to the input's gradient (and the
parameters'), composed without classes or mutable state.  Written for this course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    z = np.asarray(z, dtype=float)
    return np.piecewise(z, [z >= 0, z < 0],
                        [lambda t: 1 / (1 + np.exp(-t)), lambda t: np.exp(t) / (1 + np.exp(t))])

# %% [forward_pass_solution]
def affine(w, b):
    def apply(a):
        def pullback(g):
            return {"input": g * w, "W": g * a, "b": g}
        return w * a + b, pullback
    return apply


def logistic(z):
    s = sigmoid(z)
    return s, lambda g: {"input": g * s * (1 - s)}


def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    z1, _ = affine(W1, b1)(x)
    a1, _ = logistic(z1)
    z2, _ = affine(W2, b2)(a1)
    y_pred, _ = logistic(z2)
    return z1, a1, z2, y_pred

# %% [bce_solution]
from functools import partial


def _bce(y_true, y_pred, eps):
    p = min(max(y_pred, eps), 1 - eps)
    return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))


binary_cross_entropy = partial(_bce, eps=1e-9)

# %% [backward_pass_solution]
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    z1, back_z1 = affine(W1, b1)(x)
    a1, back_a1 = logistic(z1)
    z2, back_z2 = affine(W2, b2)(a1)
    y_hat, back_y = logistic(z2)
    dy_pred = -y / y_hat + (1 - y) / (1 - y_hat)
    dz2 = back_y(dy_pred)["input"]
    layer2 = back_z2(dz2)
    dz1 = back_a1(layer2["input"])["input"]
    layer1 = back_z1(dz1)
    return {"dy_pred": dy_pred, "dz2": dz2, "dW2": layer2["W"], "db2": layer2["b"],
            "da1": layer2["input"], "dz1": dz1, "dW1": layer1["W"], "db1": layer1["b"]}
