"""Notebook 2 with a utility module pasted into the answer cells.

Imitates: students who paste a whole helper module from an earlier project: an argparse
workaround for notebooks (``sys.argv = ['']``), a training-log class whose ``save`` and
``load`` use ``open()`` but are never called here, and plotting helpers, next to correct
functions.  Written for this course.
"""
# %% [sigmoid_solution]
import json
import sys

sys.argv = [""]          # lets argparse-based helpers run inside Jupyter


class TrainingLog:
    """Collects (step, loss) pairs; can write them to / read them from a JSON file."""

    def __init__(self):
        self.rows = []

    def add(self, step, loss):
        self.rows.append({"step": int(step), "loss": float(loss)})

    def save(self, path):
        with open(path, "w") as handle:
            json.dump(self.rows, handle)

    def load(self, path):
        with open(path) as handle:
            self.rows = json.load(handle)
        return self


def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    z = np.clip(z, -500.0, 500.0)
    return 1.0 / (1.0 + np.exp(-z))

# %% [backward_pass_solution]
def plot_losses(log, ax=None):
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    ax.plot([r["step"] for r in log.rows], [r["loss"] for r in log.rows])
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    return ax


def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)
    dz2 = y_pred - y
    da1 = dz2 * W2
    dz1 = da1 * a1 * (1 - a1)
    return {"dy_pred": dy_pred, "dz2": dz2, "dW2": dz2 * a1, "db2": dz2,
            "da1": da1, "dz1": dz1, "dW1": dz1 * x, "db1": dz1}
