"""Notebook 2 with the header cells and shims that real notebooks carry.

Imitates: a notebook that starts with the usual Jupyter header (``%matplotlib inline``,
``%load_ext autoreload``, ``%autoreload 2``), silences warnings, and keeps the NumPy 2
compatibility shim of older textbook code (``np.float = float; np.int = int``) because
its functions still call ``np.float``.  Otherwise the course's own solution.  Written for
this course.
"""
# %% [new cell at top]
# %matplotlib inline
# %load_ext autoreload
# %autoreload 2
import warnings
warnings.filterwarnings("ignore")

import numpy as np
# NumPy 2 removed these aliases; older code still uses them.
np.float = float
np.int = int

# %% [backward_pass_solution]
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    x, y, a1, y_pred, W2 = (np.float(v) for v in (x, y, a1, y_pred, W2))
    dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)
    dz2 = dy_pred * y_pred * (1 - y_pred)
    da1 = dz2 * W2
    dz1 = da1 * a1 * (1 - a1)
    grads = {"dy_pred": dy_pred, "dz2": dz2, "dW2": dz2 * a1, "db2": dz2,
             "da1": da1, "dz1": dz1, "dW1": dz1 * x, "db1": dz1}
    return {key: np.float(value) for key, value in grads.items()}
