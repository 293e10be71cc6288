"""Notebook 3 computed by a small matrix autodiff engine in numpy (MiniFlow style).

Imitates: the build-your-own-graph teaching pattern — ``Input``, ``Linear`` and
activation nodes, a topological sort, and a ``self.gradients`` dict on every node — plus a
helper the student happens to call ``gradient_norms``.  All of it is the student's own
chain rule in numpy; no library autodiff runs.  Written for this course.
"""
# %% [deep_forward_code]
def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    if activation == "relu":
        return np.maximum(z, 0)
    return np.tanh(z)


class Node:
    def __init__(self, inbound_nodes=()):
        self.inbound_nodes = list(inbound_nodes)
        self.outbound_nodes = []
        self.value = None
        self.gradients = {}
        for node in self.inbound_nodes:
            node.outbound_nodes.append(self)

    def upstream(self):
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
    def __init__(self, inputs, weights, bias):
        Node.__init__(self, [inputs, weights, bias])

    def forward(self):
        a, W, b = (node.value for node in self.inbound_nodes)
        self.value = W @ a + b

    def backward(self):
        a, W, b = self.inbound_nodes
        grad = self.upstream()
        self.gradients = {a: W.value.T @ grad, W: np.outer(grad, a.value), b: grad}


class Act(Node):
    def __init__(self, node, name):
        Node.__init__(self, [node])
        self.name = name

    def forward(self):
        self.value = activate(self.inbound_nodes[0].value, self.name)

    def backward(self):
        z = self.inbound_nodes[0]
        self.gradients = {z: self.upstream() * activation_derivative(z.value, self.value, self.name)}


def build_graph(x, params, activation):
    a = Input(np.asarray(x, dtype=float))
    inputs, linears, acts = [a], [], [a]
    for index, (W, b) in enumerate(params):
        W_node, b_node = Input(W), Input(b)
        inputs += [W_node, b_node]
        z = Linear(acts[-1], W_node, b_node)
        linears.append(z)
        acts.append(Act(z, "sigmoid" if index == len(params) - 1 else activation))
    return inputs, linears, acts


def topological_sort(node, order=None, seen=None):
    order, seen = ([] if order is None else order), (set() if seen is None else seen)
    if node not in seen:
        seen.add(node)
        for parent in node.inbound_nodes:
            topological_sort(parent, order, seen)
        order.append(node)
    return order


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass; returns (zs, activations) as described in the notebook."""
    _, linears, acts = build_graph(x, params, activation)
    for node in topological_sort(acts[-1]):
        node.forward()
    return [z.value for z in linears], [a.value for a in acts]

# %% [deep_backward_code]
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    return {"sigmoid": a * (1 - a), "relu": (z > 0).astype(float), "tanh": 1 - a ** 2}[activation]


class BCEWithSigmoid(Node):
    """Cost node on the output activation; passes dL/dz = y_pred - y straight to the last Linear."""

    def __init__(self, y, output_act):
        Node.__init__(self, [output_act])
        self.y = y

    def forward(self):
        p = np.clip(self.inbound_nodes[0].value, 1e-12, 1 - 1e-12)
        self.value = float(-(self.y * np.log(p) + (1 - self.y) * np.log(1 - p)).sum())

    def backward(self):
        output_act = self.inbound_nodes[0]
        z = output_act.inbound_nodes[0]
        # sigmoid + BCE: skip the unstable division and hand dL/dz to the Linear node directly
        output_act.backward = lambda: setattr(output_act, "gradients", {z: output_act.value - self.y})
        self.gradients = {output_act: None}


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss for every (W, b), index 0 nearest the input."""
    inputs, linears, acts = build_graph(activations[0], params, activation)
    cost = BCEWithSigmoid(y, acts[-1])
    graph = topological_sort(cost)
    for node in graph:
        node.forward()
    for node in reversed(graph):
        node.backward()
    weights = inputs[1:]
    return [(weights[2 * i].gradients[weights[2 * i]], weights[2 * i + 1].gradients[weights[2 * i + 1]])
            for i in range(len(params))]

# %% [analyze_gradient_flow_code]
def gradient_norms(grads):
    """The student's own helper: Frobenius norm of each layer's dW."""
    return np.array([np.sqrt((dW ** 2).sum()) for dW, _ in grads])


def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer Frobenius norms of dL/dW, index 0 nearest the input."""
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    return gradient_norms(deep_backward(y, zs, activations, params, activation))
