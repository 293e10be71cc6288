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
# # Backprop by Hand — Part 2: Code verification
#
# In Part 1 you pushed one example through the network by hand. Now you turn those equations
# into NumPy functions and check them against TensorFlow's automatic differentiation.
#
# The network has one input, one hidden unit and one output:
#
# $$z_1 = W_1 x + b_1,\qquad a_1 = \sigma(z_1),\qquad z_2 = W_2 a_1 + b_2,\qquad y_{\text{pred}} = \sigma(z_2),$$
#
# $$L = -\big[\,y \ln y_{\text{pred}} + (1-y)\ln(1-y_{\text{pred}})\,\big],\qquad \sigma(z) = \frac{1}{1+e^{-z}}.$$
#
# **What you write:** `sigmoid`, `forward_pass`, `binary_cross_entropy` and `backward_pass`.
# **How it is graded:** every function has its own test cell. The visible part checks the basics;
# hidden tests compare your functions with `tf.GradientTape` (in float64) and with numerical
# derivatives on many random inputs, including saturated sigmoids, so write general code — not
# the numbers of the worked example. Python floats, NumPy scalars, 0-d or `(1, 1)` arrays,
# float32 or float64 are all fine. Run the cells from top to bottom.
#
# As in Part 1, $\ln$ is the natural logarithm (`np.log`) and $y_{\text{pred}}$ is `y_pred`.
# Each heading says how many points its task is worth: 16 in this notebook, 14 autograded and 2 marked by hand. *The reflection questions keep the exercise's numbering: question 1 is in Part 1, question 3 in Part 2, questions 2 and 4 in Part 3.*

# %% nbgrader={"grade": false, "grade_id": "verification_setup", "locked": true, "schema_version": 3, "solution": false}
import numpy as np
from course.exercise.display import worked_example   # your values from Part 1
from course.widgets.verification import gradient_table, verification_explorer
import tensorflow as tf   # after course: course quiets TensorFlow's start-up log

print("The worked example (your values from Part 1):", worked_example())


# %% [markdown]
# ## Task 2.1 — Forward pass (6 points, autograded)
#
# ### `sigmoid(z)` (2 points, autograded)
#
# Implement $\sigma(z) = 1/(1+e^{-z})$. It must work on a single number **and** element-wise on a
# NumPy array (array in, array of the same shape out).
#
# Careful with overflow: `np.exp(-z)` for $z = -1000$ is $e^{1000}$, which does not fit in a float
# and makes NumPy print `RuntimeWarning: overflow encountered in exp`. Your `sigmoid` must give
# the right limits (about 0 and 1) at $z = \pm 1000$ **without** any warning. Clipping $z$ to a
# safe range such as $[-500, 500]$ is one way; using $e^{-|z|}$ is another.

# %% nbgrader={"grade": false, "grade_id": "sigmoid_solution", "locked": false, "schema_version": 3, "solution": true}
def sigmoid(z):
    """Sigmoid activation 1 / (1 + exp(-z)) for a number or element-wise for an array."""
    ### BEGIN SOLUTION
    z = np.clip(z, -500.0, 500.0)
    return 1.0 / (1.0 + np.exp(-z))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_values", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# sigmoid(0) is 0.5, sigmoid(2) lies between 0.5 and 1
from course.kernel.checks.verification import check_sigmoid
check_sigmoid(sigmoid)
### BEGIN HIDDEN TESTS
check_sigmoid(sigmoid, hidden=True, seed=2101)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_extremes", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# no overflow warning at z = ±1000, limits 0 and 1, arrays in -> arrays of the same shape out
from course.kernel.checks.verification import check_sigmoid_extremes
check_sigmoid_extremes(sigmoid)


# %% [markdown]
# ### `forward_pass(x, W1, b1, W2, b2)` (2 points, autograded)
#
# Return the tuple `(z1, a1, z2, y_pred)` for one input `x` (all arguments are numbers).
# Use your `sigmoid`.

# %% nbgrader={"grade": false, "grade_id": "forward_pass_solution", "locked": false, "schema_version": 3, "solution": true}
def forward_pass(x, W1, b1, W2, b2):
    """Forward pass of the 1-1-1 network; returns the tuple (z1, a1, z2, y_pred)."""
    ### BEGIN SOLUTION
    z1 = W1 * x + b1
    a1 = sigmoid(z1)
    z2 = W2 * a1 + b2
    y_pred = sigmoid(z2)
    return z1, a1, z2, y_pred
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_forward_pass", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# four finite numbers come back for the worked example
from course.kernel.checks.verification import check_forward_pass
check_forward_pass(forward_pass)
### BEGIN HIDDEN TESTS
check_forward_pass(forward_pass, hidden=True, seed=2201)
### END HIDDEN TESTS

# %% [markdown]
# ### `binary_cross_entropy(y_true, y_pred)` (2 points, autograded)
#
# $L = -\big[y \ln y_{\text{pred}} + (1-y)\ln(1-y_{\text{pred}})\big]$ for one label `y_true` (0 or 1) and one
# prediction `y_pred`. When `y_pred` is exactly 0 or 1 one of the logarithms is $\ln 0 = -\infty$:
# keep the loss finite (and warning-free) with a small epsilon, e.g. clip `y_pred` to
# $[\varepsilon, 1-\varepsilon]$ with $\varepsilon = 10^{-7}$, as Keras does.

# %% nbgrader={"grade": false, "grade_id": "bce_solution", "locked": false, "schema_version": 3, "solution": true}
def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of one prediction; finite even when y_pred is exactly 0 or 1."""
    ### BEGIN SOLUTION
    eps = 1e-7
    y_pred = np.clip(y_pred, eps, 1.0 - eps)
    return -(y_true * np.log(y_pred) + (1.0 - y_true) * np.log(1.0 - y_pred))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_bce_values", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# a positive loss for y_true = 1, y_pred = 0.7
from course.kernel.checks.verification import check_bce
check_bce(binary_cross_entropy)
### BEGIN HIDDEN TESTS
check_bce(binary_cross_entropy, hidden=True, seed=2301)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_bce_edges", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# finite and warning-free at y_pred = 0 and y_pred = 1, for both labels
from course.kernel.checks.verification import check_bce_edges
check_bce_edges(binary_cross_entropy)


# %% [markdown]
# ## Task 2.2 — Backward pass (8 points, autograded)
#
# Implement the chain rule from Part 1 **by hand** (no TensorFlow inside this function):
#
# | key | gradient | formula |
# |---|---|---|
# | `dy_pred` | $\partial L/\partial y_{\text{pred}}$ | $-\,y/y_{\text{pred}} + (1-y)/(1-y_{\text{pred}})$ |
# | `dz2` | $\partial L/\partial z_2$ | $\partial L/\partial y_{\text{pred}} \cdot y_{\text{pred}}\,(1-y_{\text{pred}})$ |
# | `dW2` | $\partial L/\partial W_2$ | $\partial L/\partial z_2 \cdot a_1$ |
# | `db2` | $\partial L/\partial b_2$ | $\partial L/\partial z_2$ |
# | `da1` | $\partial L/\partial a_1$ | $\partial L/\partial z_2 \cdot W_2$ |
# | `dz1` | $\partial L/\partial z_1$ | $\partial L/\partial a_1 \cdot a_1(1-a_1)$ |
# | `dW1` | $\partial L/\partial W_1$ | $\partial L/\partial z_1 \cdot x$ |
# | `db1` | $\partial L/\partial b_1$ | $\partial L/\partial z_1$ |
#
# `backward_pass` receives the input, the label, the forward values and the parameters, and returns
# a dict with (at least) these eight keys. The tests call it with the correct forward values, so a
# slip in `forward_pass` does not cost you the gradient points as well. Each gradient has its own
# test; if one gradient is wrong but a later one is computed correctly *from it*, the later one
# still earns its point. The visible part of each test compares your gradient with TensorFlow's at
# one point away from the worked example, $x = 1.5$, $y = 0$, $W_1 = -0.7$, $b_1 = 0.3$, $W_2 = 1.1$,
# $b_2 = -0.4$ (`verify_with_tensorflow` below shows the tape's parameter gradients there too).

# %% nbgrader={"grade": false, "grade_id": "backward_pass_solution", "locked": false, "schema_version": 3, "solution": true}
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    """Gradients of the loss by the chain rule; returns a dict with keys
    dy_pred, dz2, dW2, db2, da1, dz1, dW1, db1."""
    ### BEGIN SOLUTION
    dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)
    dz2 = dy_pred * y_pred * (1 - y_pred)
    dW2 = dz2 * a1
    db2 = dz2
    da1 = dz2 * W2
    dz1 = da1 * a1 * (1 - a1)
    dW1 = dz1 * x
    db1 = dz1
    return {"dy_pred": dy_pred, "dz2": dz2, "dW2": dW2, "db2": db2,
            "da1": da1, "dz1": dz1, "dW1": dW1, "db1": db1}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_backward_dy_pred", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# backward_pass["dy_pred"] matches TensorFlow at x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4 (or follows from your own upstream gradient)
from course.kernel.checks.verification import check_gradient
check_gradient(backward_pass, "dy_pred")
### BEGIN HIDDEN TESTS
check_gradient(backward_pass, "dy_pred", hidden=True, seed=2401)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_backward_dz2", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# backward_pass["dz2"] matches TensorFlow at x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4 (or follows from your own upstream gradient)
from course.kernel.checks.verification import check_gradient
check_gradient(backward_pass, "dz2")
### BEGIN HIDDEN TESTS
check_gradient(backward_pass, "dz2", hidden=True, seed=2401)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_backward_dW2", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# backward_pass["dW2"] matches TensorFlow at x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4 (or follows from your own upstream gradient)
from course.kernel.checks.verification import check_gradient
check_gradient(backward_pass, "dW2")
### BEGIN HIDDEN TESTS
check_gradient(backward_pass, "dW2", hidden=True, seed=2401)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_backward_db2", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# backward_pass["db2"] matches TensorFlow at x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4 (or follows from your own upstream gradient)
from course.kernel.checks.verification import check_gradient
check_gradient(backward_pass, "db2")
### BEGIN HIDDEN TESTS
check_gradient(backward_pass, "db2", hidden=True, seed=2401)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_backward_da1", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# backward_pass["da1"] matches TensorFlow at x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4 (or follows from your own upstream gradient)
from course.kernel.checks.verification import check_gradient
check_gradient(backward_pass, "da1")
### BEGIN HIDDEN TESTS
check_gradient(backward_pass, "da1", hidden=True, seed=2401)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_backward_dz1", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# backward_pass["dz1"] matches TensorFlow at x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4 (or follows from your own upstream gradient)
from course.kernel.checks.verification import check_gradient
check_gradient(backward_pass, "dz1")
### BEGIN HIDDEN TESTS
check_gradient(backward_pass, "dz1", hidden=True, seed=2401)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_backward_dW1", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# backward_pass["dW1"] matches TensorFlow at x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4 (or follows from your own upstream gradient)
from course.kernel.checks.verification import check_gradient
check_gradient(backward_pass, "dW1")
### BEGIN HIDDEN TESTS
check_gradient(backward_pass, "dW1", hidden=True, seed=2401)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_backward_db1", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# backward_pass["db1"] matches TensorFlow at x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4 (or follows from your own upstream gradient)
from course.kernel.checks.verification import check_gradient
check_gradient(backward_pass, "db1")
### BEGIN HIDDEN TESTS
check_gradient(backward_pass, "db1", hidden=True, seed=2401)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 2.3 — Verify against TensorFlow
#
# `verify_with_tensorflow` (given, do not change it) builds the same network in TensorFlow and lets
# `tf.GradientTape` differentiate it. Note what it does differently from your code: it computes in
# **float32**, and it uses Keras' `binary_crossentropy`.

# %% nbgrader={"grade": false, "grade_id": "verify_with_tensorflow", "locked": true, "schema_version": 3, "solution": false}
def verify_with_tensorflow(x, y, W1, b1, W2, b2):
    """Use TensorFlow's GradientTape to verify our manual gradients."""

    # Convert to TensorFlow variables
    W1_tf = tf.Variable([[W1]], dtype=tf.float32)
    b1_tf = tf.Variable([[b1]], dtype=tf.float32)
    W2_tf = tf.Variable([[W2]], dtype=tf.float32)
    b2_tf = tf.Variable([[b2]], dtype=tf.float32)
    x_tf = tf.constant([[x]], dtype=tf.float32)
    y_tf = tf.constant([[y]], dtype=tf.float32)

    with tf.GradientTape() as tape:
        # Forward pass
        z1 = tf.matmul(x_tf, W1_tf) + b1_tf
        a1 = tf.nn.sigmoid(z1)
        z2 = tf.matmul(a1, W2_tf) + b2_tf
        y_pred = tf.nn.sigmoid(z2)

        # Loss
        loss = tf.keras.losses.binary_crossentropy(y_tf, y_pred)

    # Compute gradients
    gradients = tape.gradient(loss, [W1_tf, b1_tf, W2_tf, b2_tf])

    return {
        'dW1': gradients[0].numpy(),
        'db1': gradients[1].numpy(),
        'dW2': gradients[2].numpy(),
        'db2': gradients[3].numpy()
    }


# %% [markdown]
# The table puts your gradients next to TensorFlow's (float32, Keras loss) and their difference.
# TensorFlow only reports the parameter gradients; the rows for the nodes show your numbers alone (by the
# chain rule, $\partial L/\partial z_2 = \partial L/\partial b_2$ and $\partial L/\partial z_1 = \partial L/\partial b_1$). The second table uses a saturated, confidently **wrong** network — look at how
# far TensorFlow drifts there.

# %% nbgrader={"grade": false, "grade_id": "verification_gradient_tables", "locked": true, "schema_version": 3, "solution": false}
gradient_table(forward_pass, backward_pass, verify_with_tensorflow, **worked_example())
gradient_table(forward_pass, backward_pass, verify_with_tensorflow,
               x=2.0, y=0.0, W1=3.0, b1=1.0, W2=9.0, b2=8.5)

# %% [markdown]
# ## Explore
#
# Move the sliders: the graph shows each node's value (top line) and its gradient $\partial L/\partial(\cdot)$
# computed by **your** functions, beside what your `verify_with_tensorflow` reports (the four
# parameter gradients). A node turns orange with ✗ where your
# numbers and the reference disagree; a slip in an inner gradient shows in the parameters below it. Try pushing $W_1$ or $b_1$ to the
# ends: what happens to $\partial L/\partial W_1$ when the hidden unit saturates?

# %% nbgrader={"grade": false, "grade_id": "verification_explorer_cell", "locked": true, "schema_version": 3, "solution": false}
verification_explorer(sigmoid, forward_pass, binary_cross_entropy, backward_pass, reference=verify_with_tensorflow)

# %% [markdown] nbgrader={"grade": false, "grade_id": "task_reflection_q3", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": true}
# ## Reflection question 3 (2 points, marked by hand)
#
# *(Question 3 in the exercise's numbering: question 1 was in Part 1, questions 2 and 4 are in Part 3.)*
#
# **How does your manual calculation compare to TensorFlow's? Any discrepancies? Why might tiny
# differences occur?** Use the tables above. Answer in a few sentences in the cell below.
#
# ### BEGIN MARK SCHEME
# **Model answer.** For ordinary inputs the manual gradients agree with TensorFlow to about
# 6–7 significant digits (differences around $10^{-8}$–$10^{-7}$ relative) — they are the same
# mathematics. The tiny differences come from (a) precision: `verify_with_tensorflow` computes in
# **float32** (about 7 significant digits, machine epsilon $\approx 1.2\cdot10^{-7}$) while NumPy
# computes in **float64** ($\approx 2.2\cdot10^{-16}$); (b) Keras' `binary_crossentropy` **clips**
# $y_{\text{pred}}$ to $[\varepsilon, 1-\varepsilon]$ with $\varepsilon = 10^{-7}$ (and our own BCE adds an
# epsilon too), which changes the loss and zeroes/alters the gradient when $y_{\text{pred}}$ is within
# $10^{-7}$ of 0 or 1 — that is why the saturated example differs a lot; (c) **order of
# operations** / different but equivalent formulas (e.g. $y_{\text{pred}} - y$ versus the product
# $-\tfrac{y}{y_{\text{pred}}}\cdoty_{\text{pred}}(1-y_{\text{pred}})$, TensorFlow's fused kernels) round differently.
# Differences of that size are expected and not bugs; a large difference in ordinary inputs would be.
#
# **Award:** 1 point for naming float32 vs float64 precision (rounding error) as the cause of the
# tiny differences, with a sense of its size; 1 point for a second valid cause — Keras' epsilon
# clipping ($10^{-7}$) near saturation, or the order of operations / equivalent formulas rounding
# differently. A bare "they match" earns 0; "floating-point error" without saying why earns 1 at most.
# ### END MARK SCHEME

# %% [markdown]
# YOUR ANSWER HERE
