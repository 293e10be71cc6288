"""Notebook 3 in float32.

Imitates: framework-minded code that casts inputs and weights to ``np.float32`` and keeps
them there, and returns the norms as a plain Python list.  Written for this course.
"""
# %% [deep_forward_code]
def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    z = z.astype(np.float32)
    if activation == "sigmoid":
        return (np.float32(1) / (np.float32(1) + np.exp(-np.clip(z, -80, 80)))).astype(np.float32)
    if activation == "relu":
        return np.maximum(z, np.float32(0))
    return np.tanh(z)


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    a = np.asarray(x, dtype=np.float32)
    zs, activations = [], [a]
    for index, (W, b) in enumerate(params):
        z = W.astype(np.float32) @ a + b.astype(np.float32)
        a = activate(z, "sigmoid" if index == len(params) - 1 else activation)
        zs.append(z)
        activations.append(a)
    return zs, activations

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    z = np.asarray(z, dtype=np.float32)
    if activation == "sigmoid":
        # from z rather than a: 1 - a loses its digits in float32 once a is close to 1
        return (activate(z, "sigmoid") * activate(-z, "sigmoid")).astype(np.float32)
    if activation == "relu":
        return (z > 0).astype(np.float32)
    t = np.tanh(z)
    return np.float32(1) - t * t


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    acts = [np.asarray(a, dtype=np.float32) for a in activations]
    delta = acts[-1] - np.float32(y)
    grads = []
    for layer in range(len(params) - 1, -1, -1):
        grads.append((np.outer(delta, acts[layer]).astype(np.float32), delta.astype(np.float32)))
        if layer > 0:
            W = params[layer][0].astype(np.float32)
            delta = (W.T @ delta) * activation_derivative(zs[layer - 1], acts[layer], activation)
    grads.reverse()
    return grads

# %% [analyze_gradient_flow_code]
def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer Frobenius norms of dL/dW, index 0 nearest the input."""
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    return [float(np.linalg.norm(dW)) for dW, _ in deep_backward(y, zs, activations, params, activation)]

# %% [gradient_after_10_layers_answer]
gradient_after_10_layers = np.float32(0.25) ** 10
