"""Builtins and library functions as they were before any student code ran.

Student cells run in the grading kernel before the hidden tests, and a student's
function runs inside a check, so student code can rebind what a check calls.  Each
capture here closes one such path to a wrong verdict:

- ``abs``, ``max``, ``min``: a tolerance ``|got - expected| <= atol + rtol·|expected|``
  (``builtins.abs = lambda v: 0.0`` would make every number close; a huge ``max`` a huge
  ``atol``), and notebook 3's spread of gradient norms;
- ``zip``, ``range``, ``len``: the loops over elements, layers and cases (an empty ``zip``
  would find no mismatch at all);
- ``float``, ``isinstance``, ``list``, ``tuple``, ``dict``: reading a student's result
  before comparing it;
- numpy's ``array``/``float64`` (coercion), ``random.default_rng`` (the weights and cases
  graders rebuild), ``sqrt``/``zeros``/``full`` (the given initialisation, the oracles), ``errstate``
  (a student's ``np.seterr`` must not hide an overflow);
  ``math``'s ``exp``/``log``/``log10``/``isfinite`` (notebook 1's reference values);
  ``warnings``' ``catch_warnings``/``simplefilter`` (keeping a student's warnings out of
  a test cell).

The integrity scan (:mod:`course.grader.integrity`) flags such rebinding when it can see it;
these captures also hold against the routes it cannot see (``vars(builtins).update(…)``,
a renamed alias).  Every notebook's read-only first cell imports a check module, which
imports this one before any student cell runs.  Modules take the builtins under their
own names (``from ..pristine import abs, len, zip``), so the code reads as usual.
TensorFlow's functions are captured in :mod:`course.oracles.deep`, the one module that
uses them (capturing them here would make notebook 1 import TensorFlow).
``tests/checks/test_pristine.py`` rebinds them and checks that no verdict changes.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

__all__ = [
    "abs", "dict", "float", "isinstance", "len", "list", "max", "min", "range", "tuple", "zip",
    "np_array", "np_float64", "default_rng", "np_sqrt", "np_zeros", "np_full", "np_errstate",
    "exp", "log", "log10", "isfinite", "sqrt", "catch_warnings", "simplefilter",
]

abs = builtins.abs
dict = builtins.dict
float = builtins.float
isinstance = builtins.isinstance
len = builtins.len
list = builtins.list
max = builtins.max
min = builtins.min
range = builtins.range
tuple = builtins.tuple
zip = builtins.zip

np_array = np.array
np_float64 = np.float64
default_rng = np.random.default_rng
np_sqrt = np.sqrt
np_zeros = np.zeros
np_full = np.full
np_errstate = np.errstate

exp = math.exp
log = math.log
log10 = math.log10
isfinite = math.isfinite
sqrt = math.sqrt

catch_warnings = warnings.catch_warnings
simplefilter = warnings.simplefilter
