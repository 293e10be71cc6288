"""Notebook 2 computed with scalar Value objects (micrograd style).

Imitates: the minimal scalar autograd of popular from-scratch tutorials — a ``Value``
class wrapping one float, overloaded operators that record their parents and a
``_backward`` closure, and ``backward()`` that walks a topological order.  The chain rule
is the student's own; no library autodiff runs.  Written for this course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    z = np.asarray(z, dtype=float)
    return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))

# %% [forward_pass_solution]
import math


class Value:
    """One scalar and how it was made, so that backward() can apply the chain rule."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents
        self._backward = lambda: None
        self._op = op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other if isinstance(other, Value) else Value(-other))

    def __rsub__(self, other):
        return Value(other) + (-self)

    def sigmoid(self):
        s = float(sigmoid(self.data))
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def build(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    build(parent)
                order.append(node)
        build(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def forward_values(x, W1, b1, W2, b2):
    x, W1, b1, W2, b2 = (Value(v) for v in (x, W1, b1, W2, b2))
    z1 = W1 * x + b1
    a1 = z1.sigmoid()
    z2 = W2 * a1 + b2
    y_pred = z2.sigmoid()
    return {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "z1": z1, "a1": a1, "z2": z2, "y_pred": y_pred}


def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    values = forward_values(x, W1, b1, W2, b2)
    return tuple(values[name].data for name in ("z1", "a1", "z2", "y_pred"))

# %% [bce_solution]
def bce_value(y, y_pred):
    return -(y * y_pred.log() + (1 - y) * (1 - y_pred).log())


def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    p = min(max(float(y_pred), 1e-7), 1.0 - 1e-7)
    return bce_value(float(y_true), Value(p)).data

# %% [backward_pass_solution]
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    values = forward_values(x, W1, b1, W2, b2)
    loss = bce_value(float(y), values["y_pred"])
    loss.backward()
    return {f"d{name}": values[name].grad for name in ("y_pred", "z2", "W2", "b2", "a1", "z1", "W1", "b1")}
