"""The constants the visible checks compare against (the tables of :mod:`.expected_tables`).

Computed once from the grader's oracles (``tf.GradientTape`` in float64,
:mod:`course.oracles`) by ``python tests/checks/test_visible_expected.py --write``;
``tests/checks/test_visible_expected.py`` recomputes them and asserts they are equal.  They
cover only the visible cases' fixed inputs, all away from notebook 1's values:

- ``sigmoid_extremes``  – σ at the visible array ``z`` (shape (2, 3));
- ``gradient_example``  – notebook 2's visible gradient check point (:data:`GRADIENT_EXAMPLE`):
  the forward values, the eight gradients and the tape's local derivatives there;
- ``deep_forward``, ``deep_backward``, ``analyze``  – notebook 3's visible networks:
  input ``x``, the oracle's ``zs`` and ``activations``, per-layer gradients ``grads``
  (``[dW, db]`` per layer) or norms (and the norms a few mistakes would give).

Every entry is plain data (dicts, lists of floats; a Python module, so it installs with
the package); :func:`table` returns a fresh copy.
"""

from __future__ import annotations

import copy
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from course.kernel.checks.expected_tables import TABLES as _TABLES

__all__ = ["GRADIENT_EXAMPLE", "PATH", "table"]

PATH = Path(__file__).with_name("expected_tables.py")   # what the generator writes

# Notebook 2's visible worked example for the gradient checks: far from notebook 1's
# values and from every per-student draw (those keep y = 1 and x in 0.2 … 0.9), with
# every gradient well away from zero and from each mistake the feedback names.
GRADIENT_EXAMPLE: Mapping[str, float] = MappingProxyType(
    {"x": 1.5, "y": 0.0, "W1": -0.7, "b1": 0.3, "W2": 1.1, "b2": -0.4})


def table(name: str) -> Any:
    """A fresh copy of table ``name`` (a check may not change what the next one reads)."""
    return copy.deepcopy(_TABLES[name])
