"""Turn whatever a student produced into plain float64 numbers before comparing.

Student code runs in the same kernel before the tests, so nothing it returns is
trusted: every value is copied into a fresh base-class ``numpy.ndarray`` of float64
(so a custom ``__eq__`` or ndarray subclass cannot influence the comparison), and the
comparisons themselves are done on Python floats with captured functions.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from course.kernel.messages import GradingError, fmt
# As they were before any student cell ran (course/kernel/pristine.py says why).
from course.kernel.pristine import abs, float, isinstance, zip
from course.kernel.pristine import isfinite as _isfinite
from course.kernel.pristine import np_array as _np_array
from course.kernel.pristine import np_float64 as _float64

__all__ = ["as_array", "as_scalar", "close", "first_mismatch", "written_precision"]



def _describe(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        return f"the text {value!r:.40}"
    kind = type(value).__name__
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def as_array(value: object, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Copy ``value`` into a new float64 ndarray.

    Accepts Python/NumPy numbers, lists, NumPy arrays of any float/int dtype and
    TensorFlow tensors.  ``shape`` (if given) is the expected shape; arrays with the
    same number of elements (e.g. (1, 1) for a scalar, or (n,) for (n, 1)) are
    reshaped to it.  Raises :class:`GradingError` naming ``name`` for anything else
    (None, text, booleans, dicts, arrays of objects, wrong size).
    """
    if value is None or isinstance(value, (str, bytes, bool, dict, set)):
        raise GradingError(f"{name} should be a number, but it is {_describe(value)}.",
                           misconception="not_a_number")
    try:
        array = _np_array(value, dtype=_float64, copy=True, subok=False)
    except (TypeError, ValueError, OverflowError) as error:
        raise GradingError(
            f"{name} should be a number (or an array of numbers), but it is {_describe(value)}.",
            misconception="not_a_number",
        ) from error
    if shape is not None and array.shape != tuple(shape):
        expected_size = 1
        for dim in shape:
            expected_size *= dim
        if array.size != expected_size:
            raise GradingError(
                f"{name} should have shape {tuple(shape)}, but it has shape {array.shape}.",
                misconception="wrong_shape",
            )
        array = array.reshape(shape)
    return array


def _looks_like_decimal_comma(value: object) -> bool:
    """``0,6457`` typed for 0.6457: a tuple of numbers whose first item is a whole number."""
    return (type(value) is tuple and 2 <= len(value) <= 3
            and all(type(item) in (int, float) for item in value) and type(value[0]) is int)


def as_scalar(value: object, name: str) -> float:
    """Return ``value`` as a finite Python float, or raise :class:`GradingError`.

    Python floats and ints, NumPy scalars, 0-d and one-element arrays (e.g. (1, 1))
    and one-element tensors are accepted; NaN and infinity are not.
    """
    if _looks_like_decimal_comma(value):
        raise GradingError(
            f"{name} is the tuple {value!r}, not one number: it looks like a decimal comma. "
            "Python reads 3,14 as the two numbers 3 and 14; write a decimal point: 3.14.",
            misconception="decimal_comma",
        )
    array = as_array(value, name)
    if array.size != 1:
        raise GradingError(f"{name} should be a single number, but it has shape {array.shape}.",
                           misconception="not_a_number")
    number = float(array.reshape(-1)[0])
    if not _isfinite(number):
        raise GradingError(f"{name} should be a finite number, but it is {fmt(number)}.",
                           misconception="not_finite")
    return number


def close(got: float, expected: float, rtol: float, atol: float = 0.0) -> bool:
    """``|got - expected| <= atol + rtol * |expected|`` on Python floats (NaN is never close)."""
    return abs(got - expected) <= atol + rtol * abs(expected)


def first_mismatch(
    got: np.ndarray, expected: np.ndarray, rtol: float, atol: float
) -> tuple[tuple[int, ...], float, float] | None:
    """Index, got and expected of the first element that is not :func:`close`, else None.

    Both arrays must already be float64 ndarrays of the same shape (see :func:`as_array`).
    """
    for index, (g, e) in zip(np.ndindex(expected.shape), zip(got.ravel().tolist(), expected.ravel().tolist())):
        if not close(g, e, rtol, atol):
            return index, g, e
    return None


def written_precision(number: float) -> tuple[float, int]:
    """(half a unit in the last digit, significant figures) of ``number`` as written.

    Read from the shortest repr, so ``-0.03`` gives (0.005, 1) and a computed float
    such as 0.6456563062 has a negligible half unit.  The half unit is widened by a
    hair so that an exact tie (-0.025 written as -0.03) counts as rounding.  Lets a
    check tell "right, but rounded to too few figures" from a wrong answer.
    """
    digits = Decimal(repr(float(number))).as_tuple()
    significant = len("".join(map(str, digits.digits)).lstrip("0")) or 1
    return 0.5 * 10.0 ** digits.exponent * (1 + 1e-9), significant
