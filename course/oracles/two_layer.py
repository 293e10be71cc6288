"""Reference values for the 1-1-1 sigmoid network of notebooks 1 and 2.

The network (one input, one hidden unit, one output, binary cross-entropy):

    z1 = W1 * x + b1,   a1 = sigmoid(z1),   z2 = W2 * a1 + b2,   y_pred = sigmoid(z2)
    L  = -[y * log(y_pred) + (1 - y) * log(1 - y_pred)]          (exact, no epsilon)

Two independent oracles, neither of them a hand-written backward pass:

- :func:`tf_reference` — ``tf.GradientTape`` in float64 on the exact loss formula.
- :func:`central_difference` — float64 central differences of the loss (NumPy only,
  no TensorFlow, ~0.1 ms per parameter set: cheap enough for a slider callback).

Shapes: every argument is a Python number or an array; they are broadcast together and
flattened, so ``n`` parameter sets are evaluated at once.  Every returned value is a
float64 ndarray of shape ``(n,)`` (``n = 1`` for scalar arguments).  Gradients use the
notebook's key names: ``dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1`` (dL/d<name>).
TensorFlow is imported only when :func:`tf_reference` is first called.
"""

from __future__ import annotations

import numpy as np

from course.exercise.constants import FORWARD_KEYS, GIVEN_NAMES, GRADIENT_KEYS

__all__ = [
    "GRADIENT_KEYS",
    "FORWARD_KEYS",
    "LOCAL_KEYS",
    "as_batch",
    "sigmoid_reference",
    "forward_reference",
    "bce_reference",
    "tf_reference",
    "central_difference",
]

# Local derivatives d(node)/d(input) of each edge of the graph, from the tape.
LOCAL_KEYS = ("dy_pred/dz2", "dz2/dW2", "dz2/db2", "dz2/da1", "da1/dz1", "dz1/dW1", "dz1/db1")

_PARAMETERS = GIVEN_NAMES


def as_batch(**values: object) -> dict[str, np.ndarray]:
    """Broadcast the named values together into float64 arrays of shape ``(n,)``."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values.values()))
    return {name: np.array(a, dtype=np.float64).reshape(-1) for name, a in zip(values, arrays)}


def sigmoid_reference(z: object) -> np.ndarray:
    """Float64 sigmoid of any shape, exact to rounding for every z (no overflow)."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


def forward_reference(x, W1, b1, W2, b2) -> dict[str, np.ndarray]:
    """Float64 forward pass: ``z1, a1, z2, y_pred`` of shape ``(n,)``."""
    p = as_batch(x=x, W1=W1, b1=b1, W2=W2, b2=b2)
    z1 = p["W1"] * p["x"] + p["b1"]
    a1 = sigmoid_reference(z1)
    z2 = p["W2"] * a1 + p["b2"]
    return {"z1": z1, "a1": a1, "z2": z2, "y_pred": sigmoid_reference(z2)}


def bce_reference(y_true, y_pred) -> np.ndarray:
    """Exact binary cross-entropy, shape ``(n,)``; ``y_pred`` must lie strictly in (0, 1)."""
    p = as_batch(y=y_true, p=y_pred)
    return -(p["y"] * np.log(p["p"]) + (1.0 - p["y"]) * np.log1p(-p["p"]))


# --- TensorFlow oracle ----------------------------------------------------------------

def tf_reference(x, y, W1, b1, W2, b2) -> dict[str, np.ndarray]:
    """Forward values, gradients and local derivatives from a float64 ``tf.GradientTape``.

    Returns a dict with the :data:`FORWARD_KEYS`, the :data:`GRADIENT_KEYS` and the
    :data:`LOCAL_KEYS`, each a float64 array of shape ``(n,)``.  The ``n`` parameter sets
    are independent: the network is applied elementwise and the tape differentiates the
    sum of the per-set losses, so each entry is that set's own gradient.
    """
    import tensorflow as tf  # deferred: importing TensorFlow costs seconds

    # The class from its defining module: a notebook that rebinds tf.GradientTape (to fake
    # the oracle) does not reach it.
    try:
        from tensorflow.python.eager.backprop import GradientTape
    except ImportError:  # pragma: no cover - layout of a future TensorFlow
        GradientTape = tf.GradientTape
    p = as_batch(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2)
    x_t = tf.constant(p["x"], dtype=tf.float64)
    y_t = tf.constant(p["y"], dtype=tf.float64)
    W1_t, b1_t, W2_t, b2_t = (tf.Variable(p[k], dtype=tf.float64) for k in ("W1", "b1", "W2", "b2"))
    with GradientTape(persistent=True) as tape:
        z1 = W1_t * x_t + b1_t
        a1 = tf.math.sigmoid(z1)
        z2 = W2_t * a1 + b2_t
        y_pred = tf.math.sigmoid(z2)
        loss = -(y_t * tf.math.log(y_pred) + (1.0 - y_t) * tf.math.log(1.0 - y_pred))
        total = tf.reduce_sum(loss)
        sums = {name: tf.reduce_sum(t) for name, t in (("y_pred", y_pred), ("z2", z2), ("a1", a1), ("z1", z1))}
    nodes = [y_pred, z2, W2_t, b2_t, a1, z1, W1_t, b1_t]
    grads = tape.gradient(total, nodes)
    local_pairs = {
        "dy_pred/dz2": ("y_pred", z2),
        "dz2/dW2": ("z2", W2_t),
        "dz2/db2": ("z2", b2_t),
        "dz2/da1": ("z2", a1),
        "da1/dz1": ("a1", z1),
        "dz1/dW1": ("z1", W1_t),
        "dz1/db1": ("z1", b1_t),
    }
    local = {key: tape.gradient(sums[top], source) for key, (top, source) in local_pairs.items()}
    del tape
    out = {k: np.array(v, dtype=np.float64).reshape(-1)
           for k, v in zip(FORWARD_KEYS, (z1, a1, z2, y_pred, loss))}
    out.update({k: np.array(g, dtype=np.float64).reshape(-1) for k, g in zip(GRADIENT_KEYS, grads)})
    out.update({k: np.array(g, dtype=np.float64).reshape(-1) for k, g in local.items()})
    return out


# --- central differences (NumPy only) ----------------------------------------------------

def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def central_difference(x, y, W1, b1, W2, b2, step: float = 1e-5) -> dict[str, np.ndarray]:
    """Float64 forward values and central-difference gradients, each of shape ``(n,)``.

    Each gradient dL/dv differences the loss as a function of the node or parameter v
    (everything downstream of v recomputed), with step ``step * max(1, |v|)``; dL/dy_pred
    uses a step relative to min(y_pred, 1 - y_pred) so it stays inside (0, 1).  The loss
    of z2 is written with softplus, so it is exact even where y_pred rounds to 0 or 1.
    Accuracy: about 1e-9 relative, or ~1e-10 absolute where the loss is large.
    """
    p = as_batch(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2)
    xs, ys, w1, c1, w2, c2 = (p[k] for k in _PARAMETERS)

    def loss_of_z2(z2):
        return ys * _softplus(-z2) + (1.0 - ys) * _softplus(z2)

    def loss_of_a1(a1):
        return loss_of_z2(w2 * a1 + c2)

    def loss_of_z1(z1):
        return loss_of_a1(sigmoid_reference(z1))

    def loss_of_p(y_pred):
        return -(ys * np.log(y_pred) + (1.0 - ys) * np.log1p(-y_pred))

    def diff(function, at, h):
        # Divide by the steps actually taken (at + h is rounded), not by 2h.
        up, down = at + h, at - h
        return (function(up) - function(down)) / (up - down)

    def rel_step(v):
        return step * np.maximum(1.0, np.abs(v))

    z1 = w1 * xs + c1
    a1 = sigmoid_reference(z1)
    z2 = w2 * a1 + c2
    y_pred = sigmoid_reference(z2)
    out = {"z1": z1, "a1": a1, "z2": z2, "y_pred": y_pred, "loss": loss_of_z2(z2)}
    out["dy_pred"] = diff(loss_of_p, y_pred, step * np.minimum(y_pred, 1.0 - y_pred))
    out["dz2"] = diff(loss_of_z2, z2, rel_step(z2))
    out["dW2"] = diff(lambda w: loss_of_z2(w * a1 + c2), w2, rel_step(w2))
    out["db2"] = diff(lambda b: loss_of_z2(w2 * a1 + b), c2, rel_step(c2))
    out["da1"] = diff(loss_of_a1, a1, rel_step(a1))
    out["dz1"] = diff(loss_of_z1, z1, rel_step(z1))
    out["dW1"] = diff(lambda w: loss_of_z1(w * xs + c1), w1, rel_step(w1))
    out["db1"] = diff(lambda b: loss_of_z1(w1 * xs + b), c1, rel_step(c1))
    return out
