"""Notebook 3 with textbook-style layer objects.

Imitates: a network as a list of layer objects — ``Dense`` layers and separate activation
layers, each with ``forward()`` and ``backward()`` and a cache — driven by loops over the
list, as in textbooks that build a small framework.  Written for this course.
"""
# %% [deep_forward_code]
class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, a_prev):
        self.a_prev = a_prev
        return self.W @ a_prev + self.b

    def backward(self, dz):
        self.dW = np.outer(dz, self.a_prev)
        self.db = dz.copy()
        return self.W.T @ dz


class Activation:
    def __init__(self, name):
        self.name = name

    def forward(self, z):
        self.z = z
        self.a = activate(z, self.name)
        return self.a

    def backward(self, da):
        return da * activation_derivative(self.z, self.a, self.name)


def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    if activation == "sigmoid":
        return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
    if activation == "relu":
        return np.where(z > 0, z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    raise ValueError(activation)


def build_layers(params, activation):
    layers = []
    for index, (W, b) in enumerate(params):
        layers.append(Dense(W, b))
        layers.append(Activation("sigmoid" if index == len(params) - 1 else activation))
    return layers


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    a = np.asarray(x, dtype=float)
    zs, activations = [], [a]
    for layer in build_layers(params, activation):
        a = layer.forward(a)
        (activations if isinstance(layer, Activation) else zs).append(a)
    return zs, activations

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    if activation == "sigmoid":
        return a * (1 - a)
    if activation == "relu":
        return np.where(z > 0, 1.0, 0.0)
    if activation == "tanh":
        return 1 - a * a
    raise ValueError(activation)


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    layers = build_layers(params, activation)
    # Load each layer's cache from the forward values we were given.
    for index in range(len(params)):
        dense, act = layers[2 * index], layers[2 * index + 1]
        dense.a_prev = activations[index]
        act.z, act.a = zs[index], activations[index + 1]
    grad = activations[-1] - y                 # sigmoid output + BCE: dL/dz of the last layer
    layers[-1].backward = lambda da: da        # already folded into grad above
    for layer in reversed(layers):
        grad = layer.backward(grad)
    return [(layer.dW, layer.db) for layer in layers if isinstance(layer, Dense)]

# %% [analyze_gradient_flow_code]
def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer Frobenius norms of dL/dW, index 0 nearest the input."""
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    return np.array([np.linalg.norm(dW, "fro") for dW, _ in deep_backward(y, zs, activations, params, activation)])
