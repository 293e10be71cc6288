# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Backprop by Hand — Part 3: Gradient flow through a deep network
#
# In notebook 2 you backpropagated through a network with one hidden unit. Now you generalise
# that backward pass to **any number of layers of any width**, and use it to see *why* deep
# sigmoid networks are hard to train: the gradient shrinks on its way back to the input.
#
# **You will:** write a deep forward pass and backward pass (hidden activation sigmoid, ReLU or
# tanh; sigmoid output with binary cross-entropy), measure the gradient that reaches each
# layer, plot sigmoid against ReLU, and explore depth, activation and initialisation with sliders.
#
# Run the code cell below first (it loads the course helpers), then work top to bottom. Cells marked
# *test* check your work; hidden tests compare your gradients with TensorFlow's
# `tf.GradientTape` on many networks when the notebook is graded.
#
# As in Parts 1 and 2, $\ln$ is the natural logarithm and $y_{\text{pred}}$ the network's output.
# Each heading says how many points its task is worth: 18 in this notebook, 11 autograded and 7 marked by hand. *The reflection questions keep the exercise's numbering: question 1 is in Part 1, question 3 in Part 2, questions 2 and 4 in Part 3.*

# %% nbgrader={"grade": false, "grade_id": "setup_gradient_flow", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

from course.exercise.networks import init_params, DEMO_LAYER_SIZES, DEMO_X, DEMO_Y
from course.widgets.gradient_flow import plot_gradient_flow, gradient_flow_explorer

# %% [markdown]
# ## The network and its weights
#
# We use **column vectors** and one sample at a time. `layer_sizes = [n_0, n_1, ..., n_L]` lists
# the widths from the input to the output; there are $L$ weight layers, numbered
# $l = 0, \dots, L-1$ from the input, and the output width $n_L$ is 1.
#
# $$a_0 = x, \qquad z_l = W_l\, a_l + b_l, \qquad a_{l+1} = g(z_l) \;\; (l < L-1),
# \qquad y_{\text{pred}} = a_L = \sigma(z_{L-1})$$
#
# where $g$ is the hidden activation and $W_l$ has shape $(n_{l+1}, n_l)$, $b_l$ shape $(n_{l+1},)$.
# The loss is the binary cross-entropy $L = -[y \ln y_{\text{pred}} + (1-y)\ln(1-y_{\text{pred}})]$.
#
# The weights are **given**: `init_params(layer_sizes, seed)` from `course.exercise.networks` returns a list of
# `(W, b)` pairs. Don't write your own — the graders rebuild exactly these weights from the seed.

# %% nbgrader={"grade": false, "grade_id": "show_init_params", "locked": true, "schema_version": 3, "solution": false}
help(init_params)

params = init_params([3, 4, 2, 1], seed=0)
[(W.shape, b.shape) for W, b in params]


# %% [markdown]
# ## Task 3.1a — Deep forward pass (2 points, autograded)
#
# Write `activate(z, activation)` (the hidden activation: `"sigmoid"`, `"relu"` or `"tanh"`,
# elementwise on a numpy array) and `deep_forward(x, params, activation)`.
#
# * `x` is a 1-D array of length `layer_sizes[0]` (one sample).
# * Return `(zs, activations)`: `zs[l]` is $z_l$ and `activations` starts with `x` itself, so it has
#   one more entry than `zs`; `activations[-1]` is $y_{\text{pred}}$ (shape `(1,)`).
# * The **output** layer always uses the sigmoid, whatever the hidden activation.
#
# You may reuse your `sigmoid` from notebook 2 (paste it into this cell).

# %% nbgrader={"grade": false, "grade_id": "deep_forward_code", "locked": false, "schema_version": 3, "solution": true}
def activate(z, activation):
    """Hidden activation applied elementwise: "sigmoid", "relu" or "tanh"."""
    ### BEGIN SOLUTION
    if activation == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    raise ValueError(f"unknown activation {activation!r}")
    ### END SOLUTION


def deep_forward(x, params, activation="sigmoid"):
    """Forward pass of one sample through the network `params` (from init_params).

    x          : 1-D array of length layer_sizes[0]
    params     : list of (W, b); W has shape (n_out, n_in), b has shape (n_out,)
    activation : hidden activation, "sigmoid", "relu" or "tanh"; the output layer is a sigmoid

    Returns (zs, activations), two lists of 1-D arrays:
        zs[l]            = W_l @ activations[l] + b_l     (len(zs) == len(params))
        activations[0]   = x
        activations[l+1] = output of layer l              (activations[-1] is y_pred)
    """
    ### BEGIN SOLUTION
    a = np.asarray(x, dtype=float).reshape(-1)
    zs, activations = [], [a]
    last = len(params) - 1
    for index, (W, b) in enumerate(params):
        z = W @ a + b
        a = activate(z, "sigmoid") if index == last else activate(z, activation)
        zs.append(z)
        activations.append(a)
    return zs, activations
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_deep_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# deep_forward matches TensorFlow's forward pass on a small sigmoid network
from course.kernel.checks.gradient_flow import check_deep_forward
check_deep_forward(deep_forward)
### BEGIN HIDDEN TESTS
check_deep_forward(deep_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 3.1b — Deep backward pass (5 points, autograded)
#
# This is notebook 2's chain rule, one layer at a time, going **backwards** from the output.
# Write $\delta_l = \partial L / \partial z_l$.
#
# 1. Output layer (sigmoid + BCE, as in notebook 2): $\delta_{L-1} = y_{\text{pred}} - y$.
# 2. For every layer $l$: $\;\partial L/\partial W_l = \delta_l\, a_l^{\top}$ (an outer product, the shape
#    of $W_l$) and $\partial L/\partial b_l = \delta_l$.
# 3. Going back one layer: $\partial L/\partial a_l$ is a vector with the shape of $a_l$, built from
#    $W_l$ and $\delta_l$ — **work out from the shapes which product it is** — and then
#    $\delta_{l-1} = \partial L/\partial a_l \odot g'(z_{l-1})$.
#
# For the derivatives $g'$, it is convenient to use the layer's own output $a = g(z)$ where that helps:
# $\sigma' = a(1-a)$, $\tanh' = 1 - a^2$, and ReLU's derivative is 1 where $z > 0$ and 0 elsewhere.
#
# Write `activation_derivative(z, a, activation)` and `deep_backward(y, zs, activations, params, activation)`,
# returning a list of `(dW, db)` pairs **in the same order and shapes as `params`** (index 0 nearest the
# input). Use numpy only — no TensorFlow here.

# %% nbgrader={"grade": false, "grade_id": "deep_backward_code", "locked": false, "schema_version": 3, "solution": true}
def activation_derivative(z, a, activation):
    """g'(z) elementwise for the hidden activation, given z and a = activate(z, activation)."""
    ### BEGIN SOLUTION
    if activation == "sigmoid":
        return a * (1.0 - a)
    if activation == "relu":
        return (z > 0).astype(float)
    if activation == "tanh":
        return 1.0 - a ** 2
    raise ValueError(f"unknown activation {activation!r}")
    ### END SOLUTION


def deep_backward(y, zs, activations, params, activation="sigmoid"):
    """Gradients of the BCE loss with respect to every W and b, by the chain rule.

    y           : the target, 0 or 1
    zs, activations : what deep_forward returned for this sample
    params      : list of (W, b), as from init_params
    activation  : the hidden activation used in the forward pass

    Returns a list of (dW, db) pairs, one per layer, index 0 nearest the input;
    dW has the shape of W and db the shape of b.
    """
    ### BEGIN SOLUTION
    n_layers = len(params)
    grads = [None] * n_layers
    delta = activations[-1] - y  # sigmoid + binary cross-entropy
    for layer in range(n_layers - 1, -1, -1):
        W, _ = params[layer]
        grads[layer] = (np.outer(delta, activations[layer]), delta.copy())
        if layer > 0:
            dL_da = W.T @ delta
            delta = dL_da * activation_derivative(zs[layer - 1], activations[layer], activation)
    return grads
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_deep_backward_sigmoid", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# deep_backward's dW and db match tf.GradientTape on a small sigmoid network
from course.kernel.checks.gradient_flow import check_deep_backward
check_deep_backward(deep_backward, "sigmoid")
### BEGIN HIDDEN TESTS
check_deep_backward(deep_backward, "sigmoid", hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_deep_backward_relu", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# deep_backward's dW and db match tf.GradientTape on a small ReLU network
from course.kernel.checks.gradient_flow import check_deep_backward
check_deep_backward(deep_backward, "relu")
### BEGIN HIDDEN TESTS
check_deep_backward(deep_backward, "relu", hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_deep_backward_tanh", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# deep_backward's dW and db match tf.GradientTape on a small tanh network
from course.kernel.checks.gradient_flow import check_deep_backward
check_deep_backward(deep_backward, "tanh")
### BEGIN HIDDEN TESTS
check_deep_backward(deep_backward, "tanh", hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 3.1c — Gradient magnitude per layer (3 points, autograded)
#
# Put it together: build the network with `init_params(layer_sizes, seed)`, run your forward and
# backward pass, and return the **Frobenius norm** $\|\partial L/\partial W_l\|_F = \sqrt{\sum_{ij} (\partial L/\partial W_l)_{ij}^2}$
# of every layer as a 1-D array (index 0 = the layer nearest the input). `np.linalg.norm` of a matrix
# is the Frobenius norm.

# %% nbgrader={"grade": false, "grade_id": "analyze_gradient_flow_code", "locked": false, "schema_version": 3, "solution": true}
def analyze_gradient_flow(x, y, layer_sizes, activation="sigmoid", seed=0):
    """Per-layer gradient magnitudes of the network init_params(layer_sizes, seed).

    x           : 1-D array of length layer_sizes[0] (one sample); y: the target, 0 or 1
    layer_sizes : e.g. [4, 16, 16, 16, 16, 1] (input first, one output unit last)
    activation  : hidden activation, "sigmoid", "relu" or "tanh"

    Returns a 1-D array of len(layer_sizes) - 1 Frobenius norms of dL/dW,
    index 0 = the layer nearest the input.
    """
    ### BEGIN SOLUTION
    params = init_params(layer_sizes, seed)
    zs, activations = deep_forward(x, params, activation)
    grads = deep_backward(y, zs, activations, params, activation)
    return np.array([np.linalg.norm(dW) for dW, _ in grads])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_analyze_gradient_flow", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# one gradient norm per layer, right for two small networks (or for your own deep_backward)
from course.kernel.checks.gradient_flow import check_analyze_gradient_flow
check_analyze_gradient_flow(analyze_gradient_flow, deep_forward, deep_backward)
### BEGIN HIDDEN TESTS
check_analyze_gradient_flow(analyze_gradient_flow, deep_forward, deep_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The next test runs the 5-layer network `DEMO_LAYER_SIZES` = `[4, 16, 16, 16, 16, 1]` on the
# sample `DEMO_X`, `DEMO_Y` at the default seed: with sigmoid, the first layer's gradient should
# be at least ten times smaller than the last layer's; with ReLU all layers should stay within a
# small factor of each other.

# %% nbgrader={"grade": true, "grade_id": "test_vanishing_phenomenon", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# 5-layer networks: sigmoid's first layer gets a gradient >= 10x smaller than its last, ReLU's stay within 4x
from course.kernel.checks.gradient_flow import check_vanishing_phenomenon
check_vanishing_phenomenon(analyze_gradient_flow, deep_forward, deep_backward)

# %% [markdown] nbgrader={"grade": false, "grade_id": "task_gradient_flow_plot", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": true}
# ## Task 3.2 — Sigmoid vs ReLU, side by side (3 points, marked by hand)
#
# In the code cell below, compute the per-layer gradient norms of the 5-layer network
# (`DEMO_X`, `DEMO_Y`, `DEMO_LAYER_SIZES`, seed 0) with your `analyze_gradient_flow`, once with
# `activation="sigmoid"` and once with `activation="relu"`, and draw them with
# `plot_gradient_flow(sigmoid_norms, relu_norms)`. It draws the two sets of bars side by side on a
# **log axis**, with a dashed line for sigmoid: at a layer $k$ layers below the output it is the last
# layer's norm times $0.25^k$ — the shrinking that the sigmoid derivative alone ($\sigma' \le 0.25$)
# would cause. It is not a bound: the weights multiply the gradient too, and with large weights
# the bars rise above it.
#
# Then, in the markdown cell under the plot, describe in 2–4 sentences what the plot shows: how
# the gradient changes from the last layer to the first for each activation, and how the sigmoid
# bars compare with the $0.25^k$ line.
#
# ### BEGIN MARK SCHEME
# **3 points.**
#
# * **1 pt — the plot.** The output shows two sets of bars per layer (sigmoid, ReLU) for the
#   5-layer network at seed 0 on a log axis with the dashed $0.25^k$ line. Expected values:
#   sigmoid ≈ 1.7e-3, 9.4e-3, 4.2e-2, 0.23, 1.0 (layers 1→5); ReLU ≈ 0.33, 0.44, 0.59, 0.55, 0.47.
#   No plot, or a plot of other quantities (e.g. activations) → 0.
# * **1 pt — sigmoid.** States that the sigmoid gradients shrink layer by layer towards the input
#   (a factor ≈ 4–5 per layer, the first layer ≈ 500× smaller than the last) and that the bars
#   follow/stay near or below the $0.25^k$ line because every sigmoid layer multiplies the gradient
#   by $\sigma'(z) \le 0.25$ (here ≈ 0.2) times the weights.
# * **1 pt — ReLU.** States that the ReLU gradients stay of the same order in every layer
#   (within a factor ≈ 2), because the ReLU derivative is exactly 1 for active units and the He
#   initialisation keeps the scale of the signal.
#
# Half points are fine for a correct but vague statement (e.g. "sigmoid gets smaller" with no link to 0.25).
# ### END MARK SCHEME

# %% nbgrader={"grade": false, "grade_id": "gradient_flow_plot_code", "locked": false, "schema_version": 3, "solution": true}
# compute sigmoid_norms and relu_norms with your analyze_gradient_flow, then call
# plot_gradient_flow(sigmoid_norms, relu_norms)
### BEGIN SOLUTION
sigmoid_norms = analyze_gradient_flow(DEMO_X, DEMO_Y, DEMO_LAYER_SIZES, activation="sigmoid", seed=0)
relu_norms = analyze_gradient_flow(DEMO_X, DEMO_Y, DEMO_LAYER_SIZES, activation="relu", seed=0)
plot_gradient_flow(sigmoid_norms, relu_norms)
### END SOLUTION

# %% [markdown]
# **What the plot shows** (Task 3.2): YOUR ANSWER HERE

# %% [markdown]
# ## Explore: depth, activation, initialisation
#
# The explorer below runs **your** `analyze_gradient_flow` on a network
# `[4, 16, ..., 16, 1]` with 2 to 10 weight layers. *init scale* multiplies every initial weight
# (`init_params` reads it while the explorer calls your function). Things to try:
#
# * sigmoid at depth 10: how many decades does the gradient lose?
# * a large init scale with sigmoid: the bars can rise above the $0.25^k$ line (large weights), but
#   what happens to the first/last ratio when the units saturate?
# * ReLU and tanh at a small init scale, and at a large one.
#
# Layers whose gradient is exactly 0 (or underflows) are drawn at the floor of the log axis,
# outlined with dashes and marked 0.

# %% nbgrader={"grade": false, "grade_id": "gradient_flow_explorer_cell", "locked": true, "schema_version": 3, "solution": false}
gradient_flow_explorer(analyze_gradient_flow)

# %% [markdown]
# ## Reflection questions 2 and 4 (5 points: 1 autograded, 4 marked by hand)
#
# *(The exercise's numbering: question 1 was in Part 1, question 3 in Part 2.)*
#
# ### Question 2 — Why do gradients vanish with sigmoid? (3 points: 1 autograded, 2 marked by hand)
#
# If each layer's gradient factor is at most 0.25, what is left after 10 layers? Set `gradient_after_10_layers` to that number (you may compute it).

# %% nbgrader={"grade": false, "grade_id": "gradient_after_10_layers_answer", "locked": false, "schema_version": 3, "solution": true}
# gradient_after_10_layers = ...
### BEGIN SOLUTION
gradient_after_10_layers = 0.25 ** 10
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_gradient_after_10_layers", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# gradient_after_10_layers is a number (the hidden test checks its value)
from course.kernel.checks.gradient_flow import check_gradient_after_10_layers
check_gradient_after_10_layers(gradient_after_10_layers)
### BEGIN HIDDEN TESTS
check_gradient_after_10_layers(gradient_after_10_layers, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "task_q2_explanation", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": true}
# **Your explanation (2 points, marked by hand).** In the cell below, explain in 2–3 sentences why
# gradients vanish in a deep sigmoid network, using the number above.
#
# ### BEGIN MARK SCHEME
# **2 points.**
#
# Model answer: the sigmoid's derivative $\sigma(z)(1-\sigma(z))$ is at most $0.25$ (at $z = 0$).
# By the chain rule the gradient reaching layer $l$ is a *product* with one such factor per layer
# between it and the output, so after 10 layers it is at most $0.25^{10} \approx 9.5\times10^{-7}$
# of its size at the output (times the weights): the early layers get almost no gradient and
# barely learn. Saturated units ($|z|$ large) make the factor even smaller.
#
# * 1 pt: the gradient is a product of per-layer factors (chain rule), each $\sigma' \le 0.25$.
# * 1 pt: so it shrinks geometrically — about $10^{-6}$ after 10 layers — and the early layers
#   (near the input) learn very slowly.
# ### END MARK SCHEME

# %% [markdown]
# **Answer (Question 2):** YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "task_q4_smallest_gradient", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": true}
# ### Question 4 — In the gradient flow plot, which layer has the smallest gradients? Is this problematic for learning? (2 points, marked by hand)
#
# Answer in the cell below (2–3 sentences).
#
# ### BEGIN MARK SCHEME
# **2 points.**
#
# Model answer: in the sigmoid network the **first layer** (nearest the input, layer 1 in the plot,
# index 0) has the smallest gradient — about 500× smaller than the last layer here. Yes, it is a
# problem: a gradient-descent step changes each weight in proportion to its gradient, so the first
# layers barely move from their random initialisation while the last layers learn; the early layers,
# which should extract the basic features, stay almost random, and training is slow or stalls.
# A larger learning rate does not fix it (it destabilises the later layers). Remedies: ReLU-type
# activations, careful initialisation, normalisation, residual connections. (With ReLU there is no
# systematic smallest layer.)
#
# * 1 pt: the first (input-side) layer of the sigmoid network.
# * 1 pt: problematic because updates are proportional to the gradient — the early layers learn
#   much more slowly / hardly at all (vanishing gradient).
# ### END MARK SCHEME

# %% [markdown]
# **Answer (Question 4):** YOUR ANSWER HERE
