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

# %% [markdown] nbgrader={"grade": false, "grade_id": "paper_intro", "locked": true, "schema_version": 3, "solution": false}
# # Backprop by Hand — Part 1: Paper calculation
#
# You will push one input through a tiny network, compute its loss, and then send the
# gradient back through every weight with the chain rule — with pen, paper and a calculator.
#
# **How to answer.** Each quantity has its own answer cell. Replace
# `raise NotImplementedError()` with the variable and *the number you worked out*, for example
# `z1 = 1.234`, then run the cell and the test cell below it. The visible test only checks
# that you typed a number; hidden tests check its value when your notebook is graded.
#
# * Give at least **3 significant figures** (4 decimals is a good habit); an answer right to
#   3 significant figures gets full marks.
# * Each step is checked against **your own earlier answers**: if you slip in one step and
#   carry on correctly from your (wrong) number, you lose only that one step.
# * Using the sigmoid values from the hint table is fine.
# * Show your working in the two "your working" cells; those are marked by hand.
#
# Each heading says how many points its task is worth: 23 in this notebook, 14 autograded and 9 marked by hand. *The reflection questions keep the exercise's numbering: question 1 is in Part 1, question 3 in Part 2, questions 2 and 4 in Part 3.*
#
# The first code cell imports `math`, so you can use Python as a calculator: `math.exp(-0.6)`.

# %% nbgrader={"grade": false, "grade_id": "paper_setup", "locked": true, "schema_version": 3, "solution": false}
import math   # for your own calculations: math.exp, math.log
from course.widgets.sigmoid import sigmoid_explorer

# %% [markdown] nbgrader={"grade": false, "grade_id": "paper_network", "locked": true, "schema_version": 3, "solution": false}
# ## The network
#
# One input, one hidden unit, one output unit, sigmoid activations and binary cross-entropy loss:
#
# ```
#           W1, b1                        W2, b2
#    x  ───────────▶ z1 ──σ──▶ a1 ───────────────▶ z2 ──σ──▶ y_pred ──BCE──▶ L
#  (input)          (hidden unit)                  (output unit)      ▲
#                                                                     y (target)
# ```
#
# $$
# x \;\xrightarrow{\;W_1,\ b_1\;}\; z_1 \;\xrightarrow{\;\sigma\;}\; a_1
# \;\xrightarrow{\;W_2,\ b_2\;}\; z_2 \;\xrightarrow{\;\sigma\;}\; y_{\text{pred}}
# \;\xrightarrow{\;\text{BCE}(y,\ \cdot\,)\;}\; L
# $$
#
# The cell below shows **your given values** — the input $x$, the target $y$ and the
# weights and biases — and defines them as Python variables `x, y, W1, b1, W2, b2` (you may
# use Python as a calculator, but type your answers as numbers). Run it first.

# %% nbgrader={"grade": false, "grade_id": "paper_given_values", "locked": true, "schema_version": 3, "solution": false}
from course.exercise.display import show_given_values, show_sigmoid_hints
# The table of your values; x, y, W1, b1, W2, b2 become Python variables.
given = show_given_values()
x, y, W1, b1, W2, b2 = given

# %% [markdown] nbgrader={"grade": false, "grade_id": "paper_forward_equations", "locked": true, "schema_version": 3, "solution": false}
# ## Task 1.1 — Forward pass (8 points: 5 autograded, 3 marked by hand)
#
# $$
# \begin{aligned}
# z_1 &= W_1\,x + b_1 & a_1 &= \sigma(z_1) = \frac{1}{1 + e^{-z_1}}\\[4pt]
# z_2 &= W_2\,a_1 + b_2 & y_{\text{pred}} &= \sigma(z_2)\\[4pt]
# L &= -\bigl[\,y \ln y_{\text{pred}} + (1 - y)\ln(1 - y_{\text{pred}})\,\bigr]
# \end{aligned}
# $$
#
# ($\ln$ is the natural logarithm.)
#
# The cell below shows a **hint table** of sigmoid values at the points near your $z_1$ and $z_2$
# (reading $\sigma$ off it is fine).

# %% nbgrader={"grade": false, "grade_id": "paper_sigmoid_hints", "locked": true, "schema_version": 3, "solution": false}
show_sigmoid_hints(given)     # sigma(z) to 4 decimals near your z1 and z2

# %% nbgrader={"grade": false, "grade_id": "answer_z1", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 1. z1 = W1 * x + b1    (write: z1 = <your number>)
### BEGIN SOLUTION
z1 = W1 * x + b1
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_z1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# z1 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("z1", globals())
### BEGIN HIDDEN TESTS
check_quantity("z1", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_a1", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 2. a1 = sigmoid(z1) = 1 / (1 + exp(-z1))    (write: a1 = <your number>)
### BEGIN SOLUTION
a1 = 1 / (1 + math.exp(-z1))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_a1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# a1 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("a1", globals())
### BEGIN HIDDEN TESTS
check_quantity("a1", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_z2", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 3. z2 = W2 * a1 + b2    (write: z2 = <your number>)
### BEGIN SOLUTION
z2 = W2 * a1 + b2
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_z2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# z2 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("z2", globals())
### BEGIN HIDDEN TESTS
check_quantity("z2", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_y_pred", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 4. y_pred = sigmoid(z2)    (write: y_pred = <your number>)
### BEGIN SOLUTION
y_pred = 1 / (1 + math.exp(-z2))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_y_pred", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# y_pred is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("y_pred", globals())
### BEGIN HIDDEN TESTS
check_quantity("y_pred", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 5. loss = -[y * ln(y_pred) + (1 - y) * ln(1 - y_pred)]    (write: loss = <your number>)
### BEGIN SOLUTION
loss = -(y * math.log(y_pred) + (1 - y) * math.log(1 - y_pred))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# loss is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("loss", globals())
### BEGIN HIDDEN TESTS
check_quantity("loss", globals(), hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "task_forward_work", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": true}
# ### Your working: forward pass (3 points, marked by hand)
#
# In the cell below, show how you got each forward-pass number: write each equation with the
# given numbers substituted, then the result (LaTeX such as `$z_1 = 0.8 \cdot 0.5 + 0.2$` is welcome).
# Say where you used the hint table.
#
# ### BEGIN MARK SCHEME
# With per-student values switched on (see the README), this student's values come from `python -m course.instructor.values STUDENT_ID`; judge the working on those.
#
# Model working:
# $z_1 = 0.8\cdot0.5 + 0.2 = 0.6$;
# $a_1 = \sigma(0.6) = 1/(1+e^{-0.6}) \approx 0.6457$;
# $z_2 = 0.6\cdot0.6457 + 0.1 \approx 0.4874$;
# $y_{\text{pred}} = \sigma(0.4874) \approx 0.6195$ (the hint-table reading $\sigma(0.5) \approx 0.6225$ is acceptable);
# with $y = 1$ the $(1-y)$ term vanishes, so $L = -\ln y_{\text{pred}} \approx 0.4789$ ($\approx 0.4740$ from 0.6225).
#
# Award (error carried forward: judge the method on the student's own numbers):
# - **1 point** — both linear steps written with the numbers substituted (weight times input, plus bias).
# - **1 point** — both sigmoids evaluated, with $\sigma(z) = 1/(1+e^{-z})$ or a stated hint-table reading.
# - **1 point** — the loss: shows that only $-y\ln y_{\text{pred}}$ remains for $y = 1$ and evaluates it with the natural log.
#
# Bare numbers without any working earn no points here (they are already scored by the autograded tests).
# ### END MARK SCHEME

# %% [markdown]
# **My forward-pass working:**
#
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "paper_backward_equations", "locked": true, "schema_version": 3, "solution": false}
# ## Task 1.2 — Backward pass (12 points: 8 autograded, 4 marked by hand)
#
# Using **your** forward-pass values, apply the chain rule from the loss back to each weight.
# The derivative of the sigmoid is $\sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr)$.
#
# $$
# \begin{aligned}
# \frac{\partial L}{\partial y_{\text{pred}}} &= -\frac{y}{y_{\text{pred}}} + \frac{1 - y}{1 - y_{\text{pred}}} &
# \frac{\partial L}{\partial z_2} &= \frac{\partial L}{\partial y_{\text{pred}}}\; y_{\text{pred}}\,(1 - y_{\text{pred}})\\[6pt]
# \frac{\partial L}{\partial W_2} &= \frac{\partial L}{\partial z_2}\; a_1 &
# \frac{\partial L}{\partial b_2} &= \frac{\partial L}{\partial z_2}\\[6pt]
# \frac{\partial L}{\partial a_1} &= \frac{\partial L}{\partial z_2}\; W_2 &
# \frac{\partial L}{\partial z_1} &= \frac{\partial L}{\partial a_1}\; a_1\,(1 - a_1)\\[6pt]
# \frac{\partial L}{\partial W_1} &= \frac{\partial L}{\partial z_1}\; x &
# \frac{\partial L}{\partial b_1} &= \frac{\partial L}{\partial z_1}
# \end{aligned}
# $$
#
# Read as one chain, the gradient for the first weight is a product of local derivatives:
#
# $$
# \frac{\partial L}{\partial W_1}
# = \underbrace{\frac{\partial L}{\partial y_{\text{pred}}}}_{\text{loss}}
# \cdot \underbrace{y_{\text{pred}}(1-y_{\text{pred}})}_{\sigma'(z_2)}
# \cdot \underbrace{W_2}_{\partial z_2/\partial a_1}
# \cdot \underbrace{a_1(1-a_1)}_{\sigma'(z_1)}
# \cdot \underbrace{x}_{\partial z_1/\partial W_1}
# $$
#
# In Python the names are `dL_dy_pred`, `dL_dz2`, … (`dL_dz2` stands for $\partial L/\partial z_2$).

# %% nbgrader={"grade": false, "grade_id": "answer_dL_dy_pred", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 1. dL/dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)    (write: dL_dy_pred = <your number>)
### BEGIN SOLUTION
dL_dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_dL_dy_pred", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# dL_dy_pred is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("dL_dy_pred", globals())
### BEGIN HIDDEN TESTS
check_quantity("dL_dy_pred", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_dL_dz2", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 2. dL/dz2 = dL/dy_pred * y_pred * (1 - y_pred)    (write: dL_dz2 = <your number>)
### BEGIN SOLUTION
dL_dz2 = dL_dy_pred * y_pred * (1 - y_pred)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_dL_dz2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# dL_dz2 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("dL_dz2", globals())
### BEGIN HIDDEN TESTS
check_quantity("dL_dz2", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_dL_dW2", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 3. dL/dW2 = dL/dz2 * a1    (write: dL_dW2 = <your number>)
### BEGIN SOLUTION
dL_dW2 = dL_dz2 * a1
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_dL_dW2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# dL_dW2 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("dL_dW2", globals())
### BEGIN HIDDEN TESTS
check_quantity("dL_dW2", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_dL_db2", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 4. dL/db2 = dL/dz2    (write: dL_db2 = <your number>)
### BEGIN SOLUTION
dL_db2 = dL_dz2
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_dL_db2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# dL_db2 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("dL_db2", globals())
### BEGIN HIDDEN TESTS
check_quantity("dL_db2", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_dL_da1", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 5. dL/da1 = dL/dz2 * W2    (write: dL_da1 = <your number>)
### BEGIN SOLUTION
dL_da1 = dL_dz2 * W2
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_dL_da1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# dL_da1 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("dL_da1", globals())
### BEGIN HIDDEN TESTS
check_quantity("dL_da1", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_dL_dz1", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 6. dL/dz1 = dL/da1 * a1 * (1 - a1)    (write: dL_dz1 = <your number>)
### BEGIN SOLUTION
dL_dz1 = dL_da1 * a1 * (1 - a1)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_dL_dz1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# dL_dz1 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("dL_dz1", globals())
### BEGIN HIDDEN TESTS
check_quantity("dL_dz1", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_dL_dW1", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 7. dL/dW1 = dL/dz1 * x    (write: dL_dW1 = <your number>)
### BEGIN SOLUTION
dL_dW1 = dL_dz1 * x
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_dL_dW1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# dL_dW1 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("dL_dW1", globals())
### BEGIN HIDDEN TESTS
check_quantity("dL_dW1", globals(), hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "answer_dL_db1", "locked": false, "schema_version": 3, "solution": true, "task": false}
# 8. dL/db1 = dL/dz1    (write: dL_db1 = <your number>)
### BEGIN SOLUTION
dL_db1 = dL_dz1
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_dL_db1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# dL_db1 is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("dL_db1", globals())
### BEGIN HIDDEN TESTS
check_quantity("dL_db1", globals(), hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "task_backward_work", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": true}
# ### Your working: backward pass (4 points, marked by hand)
#
# In the cell below, show each backward step with your numbers substituted. For each factor,
# say which local derivative it is (for example "$a_1$ because $z_2 = W_2 a_1 + b_2$").
#
# ### BEGIN MARK SCHEME
# With per-student values switched on (see the README), this student's values come from `python -m course.instructor.values STUDENT_ID`; judge the working on those.
#
# Model working (from the exact forward values; judge the method on the student's own numbers):
# $\partial L/\partial y_{\text{pred}} = -1/0.6195 \approx -1.614$ (the $(1-y)$ term is 0);
# $\partial L/\partial z_2 = -1.614\cdot0.6195\cdot0.3805 \approx -0.3805$, which equals $y_{\text{pred}} - y$;
# $\partial L/\partial W_2 = -0.3805\cdot0.6457 \approx -0.2457$; $\partial L/\partial b_2 = -0.3805$;
# $\partial L/\partial a_1 = -0.3805\cdot0.6 \approx -0.2283$;
# $\partial L/\partial z_1 = -0.2283\cdot0.6457\cdot0.3543 \approx -0.05223$;
# $\partial L/\partial W_1 = -0.05223\cdot0.5 \approx -0.02612$; $\partial L/\partial b_1 \approx -0.05223$.
# (Hint-table path: $-1.606, -0.3775, -0.2438, -0.3775, -0.2265, -0.05182, -0.02591, -0.05182$.)
#
# Award:
# - **1 point** — $\partial L/\partial y_{\text{pred}}$ with the correct sign, and $\partial L/\partial z_2$ including the sigmoid derivative $y_{\text{pred}}(1-y_{\text{pred}})$ (noticing the simplification to $y_{\text{pred}} - y$ is a plus, not required).
# - **1 point** — layer-2 parameters: $\partial L/\partial W_2$ uses $a_1$ (not $z_1$), $\partial L/\partial b_2 = \partial L/\partial z_2$ with the reason ($\partial z_2/\partial b_2 = 1$).
# - **1 point** — $\partial L/\partial a_1$ through $W_2$ (not $W_1$), and $\partial L/\partial z_1$ including $a_1(1-a_1)$.
# - **1 point** — layer-1 parameters: $\partial L/\partial W_1$ multiplies by the input $x$, $\partial L/\partial b_1 = \partial L/\partial z_1$.
#
# Half points are not used; an arithmetic slip with the right method keeps the point.
# ### END MARK SCHEME

# %% [markdown]
# **My backward-pass working:**
#
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "paper_sigmoid_explorer_intro", "locked": true, "schema_version": 3, "solution": false}
# ## Explore: the sigmoid and its derivative
#
# Move the slider to change $z$. The solid curve is $\sigma(z)$, the dashed one its derivative
# $\sigma'(z) = \sigma(z)\,(1-\sigma(z))$ — the factor every sigmoid layer contributes to the
# backward pass. Try your $z_1$ and $z_2$, then large positive and negative $z$.
#
# *(The explorer appears when you run the cell; it is skipped while the notebook is graded.)*

# %% nbgrader={"grade": false, "grade_id": "paper_sigmoid_explorer", "locked": true, "schema_version": 3, "solution": false}
sigmoid_explorer()

# %% [markdown] nbgrader={"grade": false, "grade_id": "paper_reflection_1", "locked": true, "schema_version": 3, "solution": false}
# ## Reflection question 1 — what values do sigmoid gradients take? (3 points: 1 autograded, 2 marked by hand)
#
# *(Question 1 in the exercise's numbering; questions 2–4 follow in Parts 2 and 3.)*
#
# Looking at the formula $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$: what is the **maximum
# possible** value of the sigmoid's derivative? Type it as a number below, then explain your
# answer in the cell after the next one.

# %% nbgrader={"grade": false, "grade_id": "answer_max_sigmoid_derivative", "locked": false, "schema_version": 3, "solution": true, "task": false}
# maximum of sigmoid'(z) over all z    (write: max_sigmoid_derivative = <your number>)
### BEGIN SOLUTION
max_sigmoid_derivative = 0.25
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_max_sigmoid_derivative", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# max_sigmoid_derivative is one finite number (the hidden test checks its value, from your earlier answers)
from course.kernel.checks.paper import check_quantity
check_quantity("max_sigmoid_derivative", globals())
### BEGIN HIDDEN TESTS
check_quantity("max_sigmoid_derivative", globals(), hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "task_reflection_1_explanation", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": true}
# ### Your explanation (2 points, marked by hand)
#
# Why is that the maximum, and where is it reached? What does $\sigma'(z)$ do for large $|z|$,
# and what does that mean for a gradient passing backward through a sigmoid?
#
# ### BEGIN MARK SCHEME
# Model answer: with $s = \sigma(z) \in (0, 1)$, $\sigma'(z) = s(1-s)$ is a downward parabola in $s$,
# largest where $\frac{d}{ds}\,s(1-s) = 1 - 2s = 0$, i.e. $s = \tfrac12$, which is $z = 0$:
# $\sigma'(0) = \tfrac12\cdot\tfrac12 = 0.25$. For large $|z|$ the sigmoid saturates ($s \to 0$ or $1$)
# and $\sigma'(z) \to 0$. So $0 < \sigma'(z) \le 0.25$: every sigmoid layer multiplies the
# backward gradient by at most $\tfrac14$, and by almost nothing when it saturates.
#
# Award:
# - **1 point** — the maximum 0.25 at $z = 0$ (i.e. $\sigma = 0.5$) with a reason (calculus, symmetry/AM–GM, or a clear reading of the slider together with the formula).
# - **1 point** — the range/behaviour: always positive, at most 0.25, tending to 0 as $|z|$ grows, and the consequence that a gradient passing through a sigmoid shrinks (at least 4×).
# ### END MARK SCHEME

# %% [markdown]
# **My explanation:**
#
# YOUR ANSWER HERE
