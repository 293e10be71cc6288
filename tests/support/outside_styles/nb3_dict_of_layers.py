"""Notebook 3 with the parameters in a dict keyed "W1", "b1", ... (1-indexed layers).

Imitates: the L-layer course convention of a parameter dict with 1-indexed keys, a cache
dict with ``Z{l}``/``A{l}`` entries and a grads dict with ``dW{l}``/``db{l}``, converted to
and from the notebook's list of (W, b) pairs at the edges.  Written for this course.
"""
# %% [deep_forward_code]
def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    if activation == "relu":
        return z * (z > 0)
    if activation == "tanh":
        return np.tanh(z)
    return np.where(z < 0, np.exp(np.minimum(z, 0)) / (1 + np.exp(np.minimum(z, 0))), 1 / (1 + np.exp(-np.maximum(z, 0))))


def to_dict(params):
    parameters = {}
    for l, (W, b) in enumerate(params, start=1):
        parameters[f"W{l}"], parameters[f"b{l}"] = W, b
    return parameters


def forward_cache(x, parameters, activation):
    L = len(parameters) // 2
    cache = {"A0": np.asarray(x, dtype=float)}
    for l in range(1, L + 1):
        cache[f"Z{l}"] = parameters[f"W{l}"] @ cache[f"A{l - 1}"] + parameters[f"b{l}"]
        cache[f"A{l}"] = activate(cache[f"Z{l}"], "sigmoid" if l == L else activation)
    return cache


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    cache = forward_cache(x, to_dict(params), activation)
    L = len(params)
    return [cache[f"Z{l}"] for l in range(1, L + 1)], [cache[f"A{l}"] for l in range(L + 1)]

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    if activation == "relu":
        return np.greater(z, 0).astype(float)
    if activation == "tanh":
        return 1 - np.power(a, 2)
    return a - a * a


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    parameters = to_dict(params)
    L = len(params)
    cache = {f"A{l}": a for l, a in enumerate(activations)}
    cache.update({f"Z{l}": z for l, z in enumerate(zs, start=1)})
    grads = {f"dZ{L}": cache[f"A{L}"] - y}
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = np.outer(grads[f"dZ{l}"], cache[f"A{l - 1}"])
        grads[f"db{l}"] = grads[f"dZ{l}"]
        if l > 1:
            dA = parameters[f"W{l}"].T @ grads[f"dZ{l}"]
            grads[f"dZ{l - 1}"] = dA * activation_derivative(cache[f"Z{l - 1}"], cache[f"A{l - 1}"], activation)
    return [(grads[f"dW{l}"], grads[f"db{l}"]) for l in range(1, L + 1)]

# %% [analyze_gradient_flow_code]
def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer Frobenius norms of dL/dW, index 0 nearest the input."""
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    grads = deep_backward(y, zs, activations, params, activation)
    return np.array([np.einsum("ij,ij->", dW, dW) ** 0.5 for dW, _ in grads])
