"""Visible checks of notebook 1, the paper calculation: each answer is one finite number.

    check_quantity("dL_dz2", globals())                # visible: a finite number
    check_quantity("dL_dz2", globals(), hidden=True)   # hidden: judged by the grader

The visible check reveals nothing about the value (it knows none: there is no answer key
in a student's kernel).  The hidden call does nothing here and returns None; the grader
judges the value with error carried forward (``course.checks.paper``, grader side).
"""

from __future__ import annotations

from typing import Callable, Mapping

from course.kernel.coerce import as_scalar
from course.exercise.constants import PAPER_QUANTITIES
from course.kernel.messages import GradingError, fmt, missing_answer
from course.kernel.misconceptions import GRADER_ERROR
from course.kernel.result import Result, failed_result, passed_result, reporting

__all__ = ["QUANTITIES", "judge_quantity", "check_quantity", "judged"]

QUANTITIES = PAPER_QUANTITIES
_NAMES = frozenset((*QUANTITIES, "max_sigmoid_derivative"))


def judge_quantity(name: str, namespace: Mapping[str, object], *, hidden: bool = False,
                   given: Mapping[str, float] | None = None, carry_forward: bool = True) -> Result | None:
    """Visible: the answer ``name`` in ``namespace`` (the notebook's ``globals()``) is one
    finite number; never raises for anything a student wrote.

    ``hidden=True`` (with the grader's ``given``/``carry_forward``): nothing is judged
    here and None is returned; the grader judges hidden tests outside the kernel.
    """
    if name not in _NAMES:
        raise ValueError(f"unknown quantity {name!r}")  # an authoring error, not a student one
    if hidden:
        return None
    return judged(name, lambda: _is_a_number(name, namespace))


def _is_a_number(name: str, namespace: Mapping[str, object]) -> Result:
    if name not in namespace:
        raise GradingError(missing_answer(name, namespace), misconception="missing_answer")
    got = as_scalar(namespace[name], name)
    return passed_result(name, f"{name} is a number ({fmt(got)}); its value is checked by hidden tests.")


def judged(name: str, judge: Callable[[], Result]) -> Result:
    """``judge()``'s result for quantity ``name``, with a GradingError as a failed result and
    any other exception as a grader error: a notebook-1 judgement never raises for
    anything a student wrote (the grader's hidden judge uses it too)."""
    try:
        return judge()
    except GradingError as error:
        return failed_result(name, str(error), error.misconception)
    except Exception as error:  # noqa: BLE001 - a check bug must cost one test, not the batch
        return failed_result(name, f"{name} could not be checked ({type(error).__name__}); "
                                   "please tell your instructor.", GRADER_ERROR)


check_quantity = reporting(judge_quantity)
