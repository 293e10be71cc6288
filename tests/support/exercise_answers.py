"""Notebook 1's graded numbers for given inputs, written out here with math.exp (independent
of ``course/``), and a scan for them in text a page shows."""

from __future__ import annotations

import math
import re

# The exercise's worked example (the exercise text, Part 1), whose results notebook 1 grades.
EXERCISE = {"x": 0.5, "y": 1.0, "W1": 0.8, "b1": 0.2, "W2": 0.6, "b2": 0.1}


def notebook_1_answers(x, y, W1, b1, W2, b2) -> dict[str, float]:
    """Notebook 1's graded numbers by the chain rule.

    ``max_sigmoid_derivative`` (0.25) is left out on purpose: the gradient plots must name
    the σ' ≤ 0.25 factor to label their dashed line truthfully.
    """
    sigmoid = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    z1 = W1 * x + b1
    a1 = sigmoid(z1)
    z2 = W2 * a1 + b2
    y_pred = sigmoid(z2)
    dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)
    dz2 = dy_pred * y_pred * (1 - y_pred)
    da1 = dz2 * W2
    dz1 = da1 * a1 * (1 - a1)
    return {"z1": z1, "a1": a1, "z2": z2, "y_pred": y_pred,
            "loss": -(y * math.log(y_pred) + (1 - y) * math.log(1 - y_pred)),
            "dL_dy_pred": dy_pred, "dL_dz2": dz2, "dL_dW2": dz2 * a1, "dL_db2": dz2,
            "dL_da1": da1, "dL_dz1": dz1, "dL_dW1": dz1 * x, "dL_db1": dz1}


_NUMBER = re.compile(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?")


def revealed(text: str, answers: dict[str, float]) -> dict[str, str]:
    """The answers that some number in ``text`` shows, rounded to that number's own digits
    (numbers with fewer than two significant digits, like a slider's "0.5", do not count)."""
    found = {}
    for token in _NUMBER.findall(text.replace("−", "-")):
        mantissa, _, exponent = token.partition("e")
        digits = mantissa.lstrip("+-").replace(".", "").lstrip("0")
        if len(digits) < 2:
            continue
        step = 10.0 ** (int(exponent or 0) - len(mantissa.split(".")[1]))
        for name, value in answers.items():
            if abs(float(token) - value) <= step / 2 * (1 + 1e-9):
                found[name] = token
    return found
