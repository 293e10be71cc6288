"""Notebook 3 in the style of forward steps that return caches.

Imitates: the L-layer convention of popular online courses — ``linear_activation_forward``
returns ``(A, cache)`` with ``cache = ((A_prev, W, b), Z)``, the caches are collected in a
list, and ``L_model_backward`` walks them in reverse with ``linear_activation_backward``.
Written for this course.
"""
# %% [deep_forward_code]
def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    functions = {
        "sigmoid": lambda Z: np.exp(-np.logaddexp(0.0, -Z)),
        "relu": lambda Z: np.maximum(0.0, Z),
        "tanh": np.tanh,
    }
    return functions[activation](z)


def linear_activation_forward(A_prev, W, b, activation):
    Z = np.dot(W, A_prev) + b
    A = activate(Z, activation)
    return A, ((A_prev, W, b), Z)


def L_model_forward(X, params, activation):
    caches, A = [], X
    L = len(params)
    for l, (W, b) in enumerate(params, start=1):
        A, cache = linear_activation_forward(A, W, b, "sigmoid" if l == L else activation)
        caches.append(cache)
    return A, caches


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    X = np.asarray(x, dtype=float)
    AL, caches = L_model_forward(X, params, activation)
    zs = [Z for _, Z in caches]
    activations = [X] + [activate(Z, "sigmoid" if l == len(caches) - 1 else activation)
                         for l, Z in enumerate(zs)]
    return zs, activations

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    if activation == "relu":
        dZ = np.ones_like(z)
        dZ[z <= 0] = 0.0
        return dZ
    if activation == "tanh":
        return 1.0 - np.square(a)
    return a * (1.0 - a)


def linear_backward(dZ, linear_cache):
    A_prev, W, b = linear_cache
    return np.dot(W.T, dZ), np.outer(dZ, A_prev), dZ      # dA_prev, dW, db


def linear_activation_backward(dA, cache, A, activation):
    linear_cache, Z = cache
    dZ = dA * activation_derivative(Z, A, activation)
    return linear_backward(dZ, linear_cache)


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    L = len(params)
    caches = [((activations[l], W, b), zs[l]) for l, (W, b) in enumerate(params)]
    grads = [None] * L
    dA_prev, dW, db = linear_backward(activations[-1] - y, caches[L - 1][0])   # sigmoid + BCE
    grads[L - 1] = (dW, db)
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(dA_prev, caches[l], activations[l + 1], activation)
        grads[l] = (dW, db)
    return grads

# %% [analyze_gradient_flow_code]
def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer Frobenius norms of dL/dW, index 0 nearest the input."""
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    grads = deep_backward(y, zs, activations, params, activation)
    return np.array([np.sqrt(np.sum(np.square(dW))) for dW, _ in grads])

# %% [gradient_after_10_layers_answer]
gradient_after_10_layers = np.prod(np.full(10, 0.25))
