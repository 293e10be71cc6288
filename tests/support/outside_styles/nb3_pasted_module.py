"""Notebook 3 with a whole textbook-style module pasted into the answer cell.

Imitates: a student who pastes their multilayer-perceptron module from another course:
the NumPy 2 compatibility shim (``np.float = float; np.int = int``), an ``MLP`` class with
``forward``/``backward``/``step`` and ``save``/``load`` methods that use ``open()`` (never
called here), and a ``__repr__`` — then defines the notebook's functions on top of it.
Written for this course.
"""
# %% [deep_forward_code]
import json

np.float = float          # NumPy 2 removed these aliases; the module below predates that
np.int = int


def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    raise ValueError("unknown activation %s" % activation)


class MLP:
    """A small fully connected network: sigmoid output, BCE loss, plain gradient descent."""

    def __init__(self, params, activation="sigmoid"):
        self.params = [(np.array(W, dtype=np.float), np.array(b, dtype=np.float)) for W, b in params]
        self.activation = activation

    def __repr__(self):
        sizes = [W.shape[1] for W, _ in self.params] + [self.params[-1][0].shape[0]]
        return "MLP(layer_sizes=%s, activation=%r)" % (sizes, self.activation)

    def forward(self, x):
        a = np.asarray(x, dtype=np.float)
        self.zs, self.activations = [], [a]
        for index, (W, b) in enumerate(self.params):
            z = W.dot(a) + b
            a = activate(z, "sigmoid" if index == len(self.params) - 1 else self.activation)
            self.zs.append(z)
            self.activations.append(a)
        return a

    def backward(self, y):
        delta = self.activations[-1] - y
        grads = []
        for index in reversed(range(len(self.params))):
            grads.insert(0, (np.outer(delta, self.activations[index]), delta))
            if index:
                W = self.params[index][0]
                delta = W.T.dot(delta) * activation_derivative(self.zs[index - 1], self.activations[index],
                                                               self.activation)
        return grads

    def step(self, grads, learning_rate=0.1):
        self.params = [(W - learning_rate * dW, b - learning_rate * db)
                       for (W, b), (dW, db) in zip(self.params, grads)]

    def save(self, path):
        with open(path, "w") as handle:
            json.dump({"activation": self.activation,
                       "params": [[W.tolist(), b.tolist()] for W, b in self.params]}, handle)

    @classmethod
    def load(cls, path):
        with open(path) as handle:
            state = json.load(handle)
        return cls([(np.array(W), np.array(b)) for W, b in state["params"]], state["activation"])


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    model = MLP(params, activation)
    model.forward(x)
    return model.zs, model.activations

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    if activation == "sigmoid":
        return a * (1.0 - a)
    if activation == "relu":
        return (z > 0).astype(np.float)
    return 1.0 - a ** 2


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    model = MLP(params, activation)
    model.zs, model.activations = list(zs), list(activations)
    return model.backward(y)
