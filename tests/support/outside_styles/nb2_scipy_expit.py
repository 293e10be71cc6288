"""Notebook 2 with scipy.special: expit for the sigmoid, xlogy for the loss.

Imitates: scikit-learn-like code that takes the logistic function and ``x * log(y)``
from ``scipy.special`` and writes the sigmoid's derivative as ``expit(z) * expit(-z)``.
Written for this course.
"""
# %% [sigmoid_solution]
from scipy.special import expit, xlogy


def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    return expit(z)

# %% [bce_solution]
def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    p = np.clip(y_pred, 1e-15, 1 - 1e-15)
    return -(xlogy(y_true, p) + xlogy(1 - y_true, 1 - p))

# %% [backward_pass_solution]
def sigmoid_prime(z):
    return expit(z) * expit(-z)          # sigma(z) * (1 - sigma(z)), accurate when saturated


def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    dy_pred = (y_pred - y) / (y_pred * (1 - y_pred))
    dz2 = dy_pred * sigmoid_prime(z2)
    dz1 = dz2 * W2 * sigmoid_prime(z1)
    return {"dy_pred": dy_pred, "dz2": dz2, "dW2": dz2 * a1, "db2": dz2,
            "da1": dz2 * W2, "dz1": dz1, "dW1": dz1 * x, "db1": dz1}
