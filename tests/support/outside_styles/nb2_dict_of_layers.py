"""Notebook 2 with the parameters in a dict of layers and a loop over them.

Imitates: code that keeps ``params = {"layer1": {"W": ..., "b": ...}, ...}``, runs the
forward pass as a loop over layer names storing ``z``/``a`` per layer, and walks the
same names in reverse for the backward pass.  Written for this course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    z = np.asarray(z, dtype=float)
    return 0.5 + 0.5 * np.tanh(z / 2.0)

# %% [forward_pass_solution]
LAYERS = ("layer1", "layer2")


def make_params(W1, b1, W2, b2):
    return {"layer1": {"W": W1, "b": b1}, "layer2": {"W": W2, "b": b2}}


def run_layers(x, params):
    cache = {"a0": x}
    a = x
    for index, name in enumerate(LAYERS, start=1):
        z = params[name]["W"] * a + params[name]["b"]
        a = sigmoid(z)
        cache[f"z{index}"], cache[f"a{index}"] = z, a
    return cache


def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    cache = run_layers(x, make_params(W1, b1, W2, b2))
    return cache["z1"], cache["a1"], cache["z2"], cache["a2"]

# %% [bce_solution]
def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    terms = {1.0: y_pred, 0.0: 1.0 - y_pred}       # the probability given to the true label
    return -np.log(np.clip(terms[float(y_true)], 1e-12, None))

# %% [backward_pass_solution]
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    params = make_params(W1, b1, W2, b2)
    cache = {"a0": x, "z1": z1, "a1": a1, "z2": z2, "a2": y_pred}
    grads = {"dy_pred": -y / y_pred + (1 - y) / (1 - y_pred)}
    upstream = grads["dy_pred"]
    for index in range(len(LAYERS), 0, -1):
        a = cache[f"a{index}"]
        dz = upstream * a * (1 - a)
        grads[f"dz{index}"] = dz
        grads[f"dW{index}"] = dz * cache[f"a{index - 1}"]
        grads[f"db{index}"] = dz
        upstream = dz * params[LAYERS[index - 1]]["W"]
        if index > 1:
            grads[f"da{index - 1}"] = upstream
    return grads
