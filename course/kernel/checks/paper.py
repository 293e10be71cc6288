"""Visible checks of notebook 1, the paper calculation: each answer is one finite number.

    check_quantity("dL_dz2", globals())                # visible: a finite number
    check_quantity("dL_dz2", globals(), hidden=True)   # hidden: judged by the grader

Notebook 1's answers are variables, and the check takes them by name: ``globals()`` is
the student's answers (a missing one gets a message that says why it is missing).  The
visible check reveals nothing about the value (it knows none: there is no answer key
in a student's kernel).  The hidden call does nothing here and returns None; the grader
judges the value with error carried forward (``course.checks.paper``, grader side).
"""

from __future__ import annotations

from typing import Mapping

from course.kernel.coerce import as_scalar
from course.exercise.constants import PAPER_QUANTITIES
from course.kernel.messages import GradingError, fmt, missing_answer
from course.kernel.result import Result, judgement, passed_result, reporting

__all__ = ["QUANTITIES", "judge_quantity", "check_quantity"]

QUANTITIES = PAPER_QUANTITIES
_NAMES = frozenset((*QUANTITIES, "max_sigmoid_derivative"))


@judgement(lambda name, *_, **__: name)
def judge_quantity(name: str, answers: Mapping[str, object], *, hidden: bool = False,
                   given: Mapping[str, float] | None = None, carry_forward: bool = True) -> Result | None:
    """Visible: the answer ``name`` is one finite number; never raises.

    ``answers`` is the notebook's ``globals()``, read as the student's answers: the
    judge reads only the declared answer names (the notebook's quantities, here
    ``name`` itself) and, for a missing one, the input history ``In`` to say why.
    ``hidden=True`` (with the grader's ``given``/``carry_forward``): nothing is judged
    here and None is returned; the grader judges hidden tests outside the kernel.
    """
    if name not in _NAMES:
        raise ValueError(f"unknown quantity {name!r}")  # an authoring error, not a student one
    if hidden:
        return None
    if name not in answers:
        raise GradingError(missing_answer(name, answers), misconception="missing_answer")
    got = as_scalar(answers[name], name)
    return passed_result(name, f"{name} is a number ({fmt(got)}); its value is checked by hidden tests.")


check_quantity = reporting(judge_quantity)
