"""Notebook 2 in the row-vector convention with (1, 1) arrays.

Imitates: framework-style code where a batch is a matrix of rows, a layer is
``X @ W + b`` and every quantity stays a 2-D array (here of shape (1, 1)); gradients
use transposes (``A1.T @ dZ2``) and ``sum(axis=0, keepdims=True)`` for biases, and dz2
is the simplified ``y_pred - y``.  Written for this course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))            # never overflows, so both branches of np.where are safe
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

# %% [forward_pass_solution]
def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    X = np.array([[x]], dtype=np.float64)          # one sample (row), one feature (column)
    W1, b1 = np.array([[W1]]), np.array([[b1]])
    W2, b2 = np.array([[W2]]), np.array([[b2]])
    Z1 = X @ W1 + b1
    A1 = sigmoid(Z1)
    Z2 = A1 @ W2 + b2
    Y_hat = sigmoid(Z2)
    return Z1, A1, Z2, Y_hat

# %% [bce_solution]
def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    Y = np.array(y_true, dtype=np.float64).reshape(1, -1)
    P = np.clip(np.array(y_pred, dtype=np.float64).reshape(1, -1), 1e-7, 1 - 1e-7)
    m = Y.shape[1]
    return -(Y @ np.log(P).T + (1 - Y) @ np.log(1 - P).T) / m

# %% [backward_pass_solution]
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    X, Y = np.array([[x]]), np.array([[y]])
    A1, Y_hat = np.array([[a1]]), np.array([[y_pred]])
    W2 = np.array([[W2]])
    dY_hat = -Y / Y_hat + (1 - Y) / (1 - Y_hat)
    dZ2 = Y_hat - Y                                   # sigmoid followed by BCE
    dW2 = A1.T @ dZ2
    db2 = dZ2.sum(axis=0, keepdims=True)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * A1 * (1 - A1)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0, keepdims=True)
    return {"dy_pred": dY_hat, "dz2": dZ2, "dW2": dW2, "db2": db2,
            "da1": dA1, "dz1": dZ1, "dW1": dW1, "db1": db1}
