"""Notebook 2 in the style of a textbook's class-based layers.

Imitates: object-oriented layer classes (a Dense layer and an activation layer, each with
forward() and backward() that cache what the backward step needs) as deep-learning
textbooks build networks before introducing a framework.  Written for this course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])            # only negative z here: no overflow
    out[~positive] = exp_z / (1.0 + exp_z)
    return out if out.ndim else float(out)

# %% [forward_pass_solution]
class Dense:
    """A fully connected layer: out = W @ inputs + b; remembers its input for backward()."""

    def __init__(self, W, b):
        self.W = np.atleast_2d(np.asarray(W, dtype=float))
        self.b = np.atleast_1d(np.asarray(b, dtype=float))

    def forward(self, inputs):
        self.inputs = inputs
        return self.W @ inputs + self.b

    def backward(self, grad_out):
        self.dW = np.outer(grad_out, self.inputs)
        self.db = grad_out.copy()
        return self.W.T @ grad_out


class Sigmoid:
    """The logistic activation as a layer; its derivative comes from its own output."""

    def forward(self, inputs):
        self.out = sigmoid(inputs)
        return self.out

    def backward(self, grad_out):
        return grad_out * self.out * (1.0 - self.out)


def build_network(W1, b1, W2, b2):
    return [Dense(W1, b1), Sigmoid(), Dense(W2, b2), Sigmoid()]


def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    hidden, activation1, output, activation2 = build_network(W1, b1, W2, b2)
    z1 = hidden.forward(np.atleast_1d(np.asarray(x, dtype=float)))
    a1 = activation1.forward(z1)
    z2 = output.forward(a1)
    y_pred = activation2.forward(z2)
    return z1.item(), a1.item(), z2.item(), y_pred.item()

# %% [bce_solution]
class BinaryCrossEntropy:
    """The loss as an object with its value and its gradient with respect to the prediction."""

    eps = 1e-12

    def _clip(self, y_pred):
        return np.clip(y_pred, self.eps, 1.0 - self.eps)

    def value(self, y_true, y_pred):
        p = self._clip(y_pred)
        return float(-(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p)))

    def gradient(self, y_true, y_pred):
        p = self._clip(y_pred)
        return -y_true / p + (1.0 - y_true) / (1.0 - p)


def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    return BinaryCrossEntropy().value(y_true, y_pred)

# %% [backward_pass_solution]
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    hidden, activation1, output, activation2 = build_network(W1, b1, W2, b2)
    # Run the layers forward once so each holds what its backward step needs.
    activation2.forward(output.forward(activation1.forward(hidden.forward(np.atleast_1d(float(x))))))
    dy_pred = BinaryCrossEntropy().gradient(y, activation2.out)
    dz2 = activation2.backward(dy_pred)
    da1 = output.backward(dz2)
    dz1 = activation1.backward(da1)
    hidden.backward(dz1)
    return {"dy_pred": dy_pred.item(), "dz2": dz2.item(), "dW2": output.dW.item(), "db2": output.db.item(),
            "da1": da1.item(), "dz1": dz1.item(), "dW1": hidden.dW.item(), "db1": hidden.db.item()}
