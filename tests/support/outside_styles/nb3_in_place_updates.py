"""Notebook 3 with preallocated gradients and in-place updates.

Imitates: optimisation-minded code that allocates ``np.zeros_like`` buffers once, fills
them with ``np.outer(..., out=buffer)``, and updates the running delta in place
(``delta *= derivative``).  Written for this course.
"""
# %% [deep_forward_code]
def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    out = np.array(z, dtype=float)
    if activation == "sigmoid":
        np.clip(out, -500, 500, out=out)
        np.exp(-out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)
    if activation == "relu":
        return np.maximum(out, 0.0, out=out)
    return np.tanh(out, out=out)


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    activations = [np.array(x, dtype=float)]
    zs = []
    for index, (W, b) in enumerate(params):
        z = np.empty(W.shape[0])
        np.matmul(W, activations[-1], out=z)
        z += b
        zs.append(z)
        activations.append(activate(z, "sigmoid" if index == len(params) - 1 else activation))
    return zs, activations

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    if activation == "sigmoid":
        slope = np.ones_like(a)
        slope -= a
        slope *= a
        return slope
    if activation == "relu":
        return (z > 0).astype(float)
    slope = np.square(a)
    np.subtract(1.0, slope, out=slope)
    return slope


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    grads = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    delta = np.array(activations[-1], dtype=float)
    delta -= y
    for layer in range(len(params) - 1, -1, -1):
        dW, db = grads[layer]
        np.outer(delta, activations[layer], out=dW)
        db[:] = delta
        if layer:
            delta = params[layer][0].T @ delta
            delta *= activation_derivative(zs[layer - 1], activations[layer], activation)
    return grads

# %% [analyze_gradient_flow_code]
def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer Frobenius norms of dL/dW, index 0 nearest the input."""
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    norms = np.zeros(len(params))
    for index, (dW, _) in enumerate(deep_backward(y, zs, activations, params, activation)):
        norms[index] = np.sqrt(np.vdot(dW, dW))
    return norms
