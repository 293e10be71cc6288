"""Notebook 2 computed by a small autodiff engine written in numpy (MiniFlow style).

Imitates: the teaching pattern of building a tiny computational-graph library first —
``Node`` objects with ``inbound_nodes``/``outbound_nodes``, a topological sort, and a
``self.gradients`` dict on every node filled by its ``backward()``.  The chain rule is the
student's own work; nothing here calls a library's automatic differentiation.  Written
for this course.
"""
# %% [sigmoid_solution]
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -709.0, 709.0)))   # exp(709) still fits a float64

# %% [forward_pass_solution]
class Node:
    """A value in the graph; after backward(), self.gradients[n] is dLoss/d(n.value) for each inbound n."""

    def __init__(self, inbound_nodes=()):
        self.inbound_nodes = list(inbound_nodes)
        self.outbound_nodes = []
        self.value = None
        self.gradients = {}
        for node in self.inbound_nodes:
            node.outbound_nodes.append(self)

    def upstream(self):
        """dLoss/d(self.value): the sum over every node that consumed this one."""
        return sum(node.gradients[self] for node in self.outbound_nodes)


class Input(Node):
    def __init__(self, value):
        Node.__init__(self)
        self.value = value

    def forward(self):
        pass

    def backward(self):
        self.gradients = {self: self.upstream()}


class Linear(Node):
    """value = w * x + b, all three scalar nodes."""

    def __init__(self, x, w, b):
        Node.__init__(self, [x, w, b])

    def forward(self):
        x, w, b = (node.value for node in self.inbound_nodes)
        self.value = w * x + b

    def backward(self):
        x, w, b = self.inbound_nodes
        grad = self.upstream()
        self.gradients = {x: grad * w.value, w: grad * x.value, b: grad}


class Sigmoid(Node):
    def __init__(self, node):
        Node.__init__(self, [node])

    def forward(self):
        self.value = sigmoid(self.inbound_nodes[0].value)

    def backward(self):
        self.gradients = {self.inbound_nodes[0]: self.upstream() * self.value * (1 - self.value)}


def topological_sort(output_node):
    order, seen = [], set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for parent in node.inbound_nodes:
            visit(parent)
        order.append(node)

    visit(output_node)
    return order


def build_graph(x, W1, b1, W2, b2):
    inputs = {name: Input(float(value)) for name, value in
              (("x", x), ("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2))}
    z1 = Linear(inputs["x"], inputs["W1"], inputs["b1"])
    a1 = Sigmoid(z1)
    z2 = Linear(a1, inputs["W2"], inputs["b2"])
    y_pred = Sigmoid(z2)
    return inputs, {"z1": z1, "a1": a1, "z2": z2, "y_pred": y_pred}


def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    _, nodes = build_graph(x, W1, b1, W2, b2)
    for node in topological_sort(nodes["y_pred"]):
        node.forward()
    return tuple(nodes[name].value for name in ("z1", "a1", "z2", "y_pred"))

# %% [bce_solution]
class BCE(Node):
    """The cost node: the graph's output, so its own upstream gradient is 1."""

    eps = 1e-7

    def __init__(self, y, y_pred):
        Node.__init__(self, [y, y_pred])

    def forward(self):
        y, p = (node.value for node in self.inbound_nodes)
        p = np.clip(p, self.eps, 1 - self.eps)
        self.value = -(y * np.log(p) + (1 - y) * np.log(1 - p))

    def upstream(self):
        return 1.0

    def backward(self):
        y, p = self.inbound_nodes
        self.gradients = {y: 0.0, p: -y.value / p.value + (1 - y.value) / (1 - p.value)}


def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    cost = BCE(Input(y_true), Input(y_pred))
    cost.forward()
    return cost.value

# %% [backward_pass_solution]
def forward_and_backward(graph):
    for node in graph:
        node.forward()
    for node in reversed(graph):
        node.backward()


def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    inputs, nodes = build_graph(x, W1, b1, W2, b2)
    cost = BCE(Input(float(y)), nodes["y_pred"])
    forward_and_backward(topological_sort(cost))
    grads = {f"d{name}": nodes[name].upstream() for name in ("y_pred", "z2", "a1", "z1")}
    for name in ("W1", "b1", "W2", "b2"):
        grads[f"d{name}"] = inputs[name].gradients[inputs[name]]
    return grads
