"""Notebook 2 written in float32 throughout.

Imitates: GPU-minded code that casts every input to ``np.float32`` (the dtype deep-learning
frameworks default to) and keeps its own epsilon at float32 scale.  Written for this
course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    z = np.asarray(z, dtype=np.float32)
    safe = np.clip(z, np.float32(-80.0), np.float32(80.0))   # exp(80) < float32 max
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-safe))

# %% [forward_pass_solution]
def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    x, W1, b1, W2, b2 = (np.float32(v) for v in (x, W1, b1, W2, b2))
    z1 = W1 * x + b1
    a1 = sigmoid(z1)
    z2 = W2 * a1 + b2
    return z1, a1, z2, sigmoid(z2)

# %% [bce_solution]
def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    eps = np.float32(1e-7)
    y = np.float32(y_true)
    p = np.clip(np.float32(y_pred), eps, np.float32(1.0) - eps)
    return -(y * np.log(p) + (np.float32(1.0) - y) * np.log(np.float32(1.0) - p))

# %% [backward_pass_solution]
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    x, y, a1, y_pred, W2 = (np.float32(v) for v in (x, y, a1, y_pred, W2))
    one = np.float32(1.0)
    dy_pred = -y / y_pred + (one - y) / (one - y_pred)
    dz2 = y_pred - y
    da1 = dz2 * W2
    dz1 = da1 * a1 * (one - a1)
    return {"dy_pred": dy_pred, "dz2": dz2, "dW2": dz2 * a1, "db2": dz2,
            "da1": da1, "dz1": dz1, "dW1": dz1 * x, "db1": dz1}
