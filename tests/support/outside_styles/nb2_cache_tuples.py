"""Notebook 2 in the style of forward steps that return caches.

Imitates: the convention of popular online deep-learning courses where every forward
helper returns ``(output, cache)`` and the matching backward helper takes ``(dOutput,
cache)``; the loss is called a "cost" and squeezed to a scalar.  Written for this course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    # log(1 + exp(-z)) computed without overflow in either direction
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))

# %% [forward_pass_solution]
def linear_forward(A_prev, W, b):
    Z = W * A_prev + b
    return Z, (A_prev, W, b)


def sigmoid_forward(Z):
    A = sigmoid(Z)
    return A, (Z, A)


def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    Z1, linear_cache1 = linear_forward(x, W1, b1)
    A1, activation_cache1 = sigmoid_forward(Z1)
    Z2, linear_cache2 = linear_forward(A1, W2, b2)
    A2, activation_cache2 = sigmoid_forward(Z2)
    return Z1, A1, Z2, A2

# %% [bce_solution]
def compute_cost(AL, Y):
    epsilon = 1e-7
    AL = np.minimum(np.maximum(AL, epsilon), 1.0 - epsilon)
    cost = -(Y * np.log(AL) + (1.0 - Y) * np.log1p(-AL))
    return np.squeeze(cost)


def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    return compute_cost(y_pred, y_true)

# %% [backward_pass_solution]
def sigmoid_backward(dA, activation_cache):
    Z, A = activation_cache
    return dA * A * (1.0 - A)


def linear_backward(dZ, linear_cache):
    A_prev, W, b = linear_cache
    dW = dZ * A_prev
    db = dZ
    dA_prev = dZ * W
    return dA_prev, dW, db


def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    caches = {1: ((x, W1, b1), (z1, a1)), 2: ((a1, W2, b2), (z2, y_pred))}
    dA = -(np.divide(y, y_pred) - np.divide(1.0 - y, 1.0 - y_pred))
    grads = {"dy_pred": dA}
    for layer in (2, 1):
        linear_cache, activation_cache = caches[layer]
        dZ = sigmoid_backward(dA, activation_cache)
        dA, dW, db = linear_backward(dZ, linear_cache)
        grads[f"dz{layer}"], grads[f"dW{layer}"], grads[f"db{layer}"] = dZ, dW, db
        if layer == 2:
            grads["da1"] = dA
    return grads
