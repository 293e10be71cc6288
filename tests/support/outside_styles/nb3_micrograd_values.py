"""Notebook 3 computed with scalar Value objects (micrograd style).

Imitates: the from-scratch scalar autograd of popular tutorials — every weight, bias and
activation a ``Value`` with ``data``, ``grad``, parents and a ``_backward`` closure;
neurons as sums of products; ``loss.backward()`` over a topological order.  Slow but the
student's own chain rule; no library autodiff runs.  Written for this course.
"""
# %% [deep_forward_code]
import math


class Value:
    """One scalar and how it was made, so that backward() can apply the chain rule."""

    def __init__(self, data, parents=()):
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __rmul__ = __mul__

    def _unary(self, data, local_derivative):
        out = Value(data, (self,))

        def _backward():
            self.grad += local_derivative * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.data)) if self.data >= 0 else math.exp(self.data) / (1.0 + math.exp(self.data))
        return self._unary(s, s * (1.0 - s))

    def relu(self):
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0)

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t)

    def backward(self, seed=1.0):
        order, seen = [], set()

        def build(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    build(parent)
                order.append(node)
        build(self)
        self.grad = seed
        for node in reversed(order):
            node._backward()


def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    return np.array([getattr(Value(v), activation)().data for v in np.ravel(z)]).reshape(np.shape(z))


def network(x, params, activation):
    """Value-level forward pass: (weights as Values, pre-activations, activations)."""
    weights = [([[Value(w) for w in row] for row in W], [Value(v) for v in b]) for W, b in params]
    a = [Value(v) for v in np.asarray(x, dtype=float)]
    zs, acts = [], [a]
    for index, (W, b) in enumerate(weights):
        z = [sum((w * inp for w, inp in zip(row, a)), bias) for row, bias in zip(W, b)]
        name = "sigmoid" if index == len(weights) - 1 else activation
        a = [getattr(unit, name)() for unit in z]
        zs.append(z)
        acts.append(a)
    return weights, zs, acts


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    _, zs, acts = network(x, params, activation)
    return ([np.array([v.data for v in z]) for z in zs], [np.array([v.data for v in a]) for a in acts])

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    return {"sigmoid": a * (1 - a), "relu": (z > 0) * 1.0, "tanh": 1 - a ** 2}[activation]


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    weights, _, acts = network(activations[0], params, activation)
    output = acts[-1][0]
    # dL/dz of a sigmoid output under BCE is y_pred - y: start the chain rule at the logit.
    output._parents[0].backward(seed=output.data - y)
    return [(np.array([[w.grad for w in row] for row in W]), np.array([v.grad for v in b])) for W, b in weights]
