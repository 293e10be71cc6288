"""Notebook 2 with in-place numpy updates and a single running gradient.

Imitates: memory-conscious code that writes into preallocated arrays with ``out=`` and
turns one running gradient ``g`` into the next by ``g *= local derivative``, copying each
stage into the result dict.  Written for this course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    out = np.array(z, dtype=float, copy=True)    # a private copy we may overwrite
    np.clip(out, -500.0, 500.0, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out

# %% [forward_pass_solution]
def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    z1 = np.array(W1, dtype=float)
    z1 *= x
    z1 += b1
    a1 = sigmoid(z1)
    z2 = np.array(W2, dtype=float)
    z2 *= a1
    z2 += b2
    return z1, a1, z2, sigmoid(z2)

# %% [bce_solution]
def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    p = np.array(y_pred, dtype=float)
    np.clip(p, 1e-7, 1.0 - 1e-7, out=p)
    loss = np.log(p)
    loss *= y_true
    other = np.log1p(-p)
    other *= 1.0 - y_true
    loss += other
    loss *= -1.0
    return loss

# %% [backward_pass_solution]
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    grads = {}
    g = np.array(-y / y_pred + (1.0 - y) / (1.0 - y_pred))
    grads["dy_pred"] = g.copy()
    g *= y_pred * (1.0 - y_pred)            # now dL/dz2
    grads["dz2"], grads["db2"] = g.copy(), g.copy()
    grads["dW2"] = g * a1
    g *= W2                                  # now dL/da1
    grads["da1"] = g.copy()
    g *= a1 * (1.0 - a1)                     # now dL/dz1
    grads["dz1"], grads["db1"] = g.copy(), g.copy()
    g *= x                                   # now dL/dW1
    grads["dW1"] = g
    return grads
