"""The exercise's constants, in one place: values, names and tolerances the notebooks fix.

Checks, oracles, widgets and the per-student values all import them from here, so a
name of the public contract or a number of the exercise is written once.  (The tests
keep their own copies on purpose: an expected value is never read from the code under
test.)

- notebook 1: the given values :data:`EXERCISE_VALUES` (x, y, W1, b1, W2, b2), the
  exercise's hint table :data:`SIGMOID_HINTS`, and the quantities a student answers,
  :data:`PAPER_QUANTITIES`, in the order they are computed;
- notebook 2: what ``forward_pass`` returns (:data:`FORWARD_PASS_OUTPUTS`; with the loss,
  :data:`FORWARD_KEYS`), the keys of the dict
  ``backward_pass`` returns (:data:`GRADIENT_KEYS`), and how close a student's number must
  be to the reference (:data:`VERIFICATION_RTOL`, :data:`VERIFICATION_ATOL`) — the
  graded checks and the explorer's ✓/✗ use the same;
- notebook 3: the activations ``analyze_gradient_flow`` accepts (:data:`ACTIVATIONS`).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

__all__ = [
    "GIVEN_NAMES", "EXERCISE_VALUES", "SIGMOID_HINTS", "PAPER_QUANTITIES",
    "FORWARD_PASS_OUTPUTS", "FORWARD_KEYS", "GRADIENT_KEYS", "VERIFICATION_RTOL", "VERIFICATION_ATOL", "ACTIVATIONS",
]

# --- notebook 1 (and the worked example of notebook 2) ------------------------------------
GIVEN_NAMES = ("x", "y", "W1", "b1", "W2", "b2")
EXERCISE_VALUES: Mapping[str, float] = MappingProxyType(
    {"x": 0.5, "y": 1.0, "W1": 0.8, "b1": 0.2, "W2": 0.6, "b2": 0.1})
# σ(z) to 4 decimals at the points the exercise's table gives.
SIGMOID_HINTS: Mapping[float, float] = MappingProxyType({0.5: 0.6225, 0.6: 0.6457, 0.7: 0.6682})
PAPER_QUANTITIES = ("z1", "a1", "z2", "y_pred", "loss",
                    "dL_dy_pred", "dL_dz2", "dL_dW2", "dL_db2", "dL_da1", "dL_dz1", "dL_dW1", "dL_db1")

# --- notebook 2 -------------------------------------------------------------------------------
FORWARD_PASS_OUTPUTS = ("z1", "a1", "z2", "y_pred")   # forward_pass returns them in this order
FORWARD_KEYS = (*FORWARD_PASS_OUTPUTS, "loss")
GRADIENT_KEYS = ("dy_pred", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")
VERIFICATION_RTOL = 1e-3
VERIFICATION_ATOL = 1e-6

# --- notebook 3 -------------------------------------------------------------------------------
ACTIVATIONS = ("sigmoid", "relu", "tanh")
