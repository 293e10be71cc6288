"""Checks for notebook 1, the paper calculation (one graded test per quantity).

The student types thirteen numbers, ``z1`` … ``dL_db1`` (the public contract), plus
``max_sigmoid_derivative`` for reflection question 1.  Each test cell calls

    check_quantity("dL_dz2", globals())                # visible: a finite number
    check_quantity("dL_dz2", globals(), hidden=True)   # hidden: its value

(``check_quantity`` reports :func:`judge_quantity`'s :class:`~course.checks.result.Result`.)

How a value is judged
---------------------
*Tolerance.*  An answer passes when ``|got - expected| <= RTOL*|expected| + ATOL`` with
``RTOL = 5e-3`` and ``ATOL = 5e-5``.  Rounding any number to 3 significant figures moves
it by at most half a unit in the third figure, i.e. by at most 0.5 % of its value (the
worst case is a leading digit 1), so every answer correctly rounded to 3 s.f. passes
whatever its leading digit; ``ATOL`` (half a unit in the 4th decimal) lets an answer
written to 4 decimals pass when the expected value is itself close to zero.  Every
misconception below is at least 3 % away from the right value, far outside this band.

*Error carried forward.*  A step is recomputed from the student's *own* earlier answers
(``a1 = σ(their z1)``, ``z2 = W2·(their a1) + b2``, …) and, for each earlier answer, also
from the correct value, so an answer passes when it is consistent with any mix of "what
you wrote" and "what is right".  One slip therefore costs one step.  An earlier answer
that is missing or not a number is replaced by the correct value.

*The exercise's hint table.*  σ(0.5) ≈ 0.6225, σ(0.6) ≈ 0.6457, σ(0.7) ≈ 0.6682.  A
sigmoid step also accepts the table entry for the table point nearest the student's
``z`` (within ``HINT_RADIUS``), so a student who reads σ(0.487) off the table as
σ(0.5) ≈ 0.6225 and carries on consistently loses nothing.

*Per-student values.*  ``check_quantity(..., given={...})`` grades against those given
values instead of the exercise's: expected values, error-carried-forward paths,
misconceptions and the hint table (:func:`course.exercise.values.hint_table`) all follow them.

*Feedback.*  For this notebook the expected value *is* the answer, so a failure never
prints it: it names the misconception the answer matches (if any) and the earlier
values it was checked against ("checked against your dL_dz2 = -0.3805 and your
a1 = 0.6457").  Everything the student wrote is read through
:func:`course.kernel.coerce.as_scalar` (a fresh float), so odd objects cannot influence it;
any failure is a :class:`~course.kernel.messages.GradingError` (zero for that test only).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

from course.kernel.coerce import as_scalar, close, written_precision
from course.exercise.constants import PAPER_QUANTITIES
from course.kernel.messages import GradingError, fmt, missing_answer
# As they were before any student cell ran (course/kernel/pristine.py says why).
from course.kernel.pristine import isfinite as _isfinite
from course.exercise.values import (EXERCISE, EXERCISE_HINTS, PAPER_MISCONCEPTIONS, GivenValues, bce, bce_slope, from_mapping,
                      hint_table, sigmoid)
from course.kernel.checks import paper as visible
from course.checks.result import Outcome, Result, failed_result, judgement, passed_result, reporting

__all__ = [
    "GIVEN", "QUANTITIES", "RTOL", "ATOL", "SIGMOID_HINTS", "HINT_RADIUS",
    "judge_quantity", "check_quantity", "grade_answers", "correct_values", "sigmoid",
    "answers_from_other_values",
]

# The exercise's network and input (read-only cell of the notebook).  With per-student
# values (course.exercise.values) the grader passes each student's own as ``given=``.
GIVEN: Mapping[str, float] = EXERCISE.as_dict()

# The public contract of notebook 1, in the order a student computes them.
QUANTITIES = PAPER_QUANTITIES

RTOL = 5e-3
ATOL = 5e-5

# The exercise's hint table and how far from a table point a student may read it off.
SIGMOID_HINTS: Mapping[float, float] = EXERCISE_HINTS   # other values: course.exercise.values.hint_table
HINT_RADIUS = 0.05



def _given(values: Mapping[str, float] | None) -> GivenValues:
    return EXERCISE if values is None else from_mapping(values)


def _sigmoid_readings(z: float, v: Mapping[str, float]) -> Iterator[tuple[float, str]]:
    """σ(z), and the value a student may have read instead off the hint table of ``v``'s given values."""
    yield sigmoid(z), ""
    for point, value in hint_table(_given(v)).items():
        if abs(z - point) <= HINT_RADIUS + 1e-9:  # halfway between two points: either reading
            yield value, f"the hint table's σ({point:g}) ≈ {value:g}"


Formula = Callable[[Mapping[str, float]], object]


@dataclass(frozen=True)
class _Rule:
    """How one quantity is computed, and the wrong ways students compute it."""

    symbol: str                       # as written in feedback, e.g. "dL/dz2"
    formula: str                      # the right formula, in words/symbols
    inputs: tuple[str, ...]           # earlier answers it is computed from
    accepted: Callable[[Mapping[str, float]], Iterator[tuple[float, str]]]
    misconceptions: tuple[tuple[str, str, Formula], ...] = field(default_factory=tuple)  # id, text, value


def _one(formula: Formula) -> Callable[[Mapping[str, float]], Iterator[tuple[float, str]]]:
    def accepted(v: Mapping[str, float]) -> Iterator[tuple[float, str]]:
        yield formula(v), ""
    return accepted


# quantity -> (symbol, the right formula, the earlier answers it uses, the values it accepts).
# The misconceptions are course.exercise.values' table, which its good-exercise filter keeps clear
# of every accepted answer.
_FORMULAS = {
    "z1": ("z1", "z1 = W1·x + b1", (), _one(lambda v: v["W1"] * v["x"] + v["b1"])),
    "a1": ("a1", "a1 = σ(z1) = 1 / (1 + e^(−z1))", ("z1",), lambda v: _sigmoid_readings(v["z1"], v)),
    "z2": ("z2", "z2 = W2·a1 + b2", ("a1",), _one(lambda v: v["W2"] * v["a1"] + v["b2"])),
    "y_pred": ("y_pred", "y_pred = σ(z2)", ("z2",), lambda v: _sigmoid_readings(v["z2"], v)),
    "loss": ("L", "L = −[y·ln(y_pred) + (1 − y)·ln(1 − y_pred)]", ("y_pred",),
             _one(lambda v: bce(v["y_pred"], v["y"]))),
    "dL_dy_pred": ("dL/dy_pred", "dL/dy_pred = −y/y_pred + (1 − y)/(1 − y_pred)", ("y_pred",),
                   _one(lambda v: bce_slope(v["y_pred"], v["y"]))),
    "dL_dz2": ("dL/dz2", "dL/dz2 = dL/dy_pred · y_pred·(1 − y_pred)  (which simplifies to y_pred − y)",
               ("dL_dy_pred", "y_pred"),
               lambda v: iter(((v["dL_dy_pred"] * v["y_pred"] * (1 - v["y_pred"]), ""),
                               (v["y_pred"] - v["y"], "the simplified form y_pred − y")))),
    "dL_dW2": ("dL/dW2", "dL/dW2 = dL/dz2 · a1", ("dL_dz2", "a1"), _one(lambda v: v["dL_dz2"] * v["a1"])),
    "dL_db2": ("dL/db2", "dL/db2 = dL/dz2", ("dL_dz2",), _one(lambda v: v["dL_dz2"])),
    "dL_da1": ("dL/da1", "dL/da1 = dL/dz2 · W2", ("dL_dz2",), _one(lambda v: v["dL_dz2"] * v["W2"])),
    "dL_dz1": ("dL/dz1", "dL/dz1 = dL/da1 · a1·(1 − a1)", ("dL_da1", "a1"),
               _one(lambda v: v["dL_da1"] * v["a1"] * (1 - v["a1"]))),
    "dL_dW1": ("dL/dW1", "dL/dW1 = dL/dz1 · x", ("dL_dz1",), _one(lambda v: v["dL_dz1"] * v["x"])),
    "dL_db1": ("dL/db1", "dL/db1 = dL/dz1", ("dL_dz1",), _one(lambda v: v["dL_dz1"])),
    "max_sigmoid_derivative": ("max σ'(z)", "the largest value of σ'(z) = σ(z)·(1 − σ(z))", (),
                               _one(lambda v: 0.25)),
}

RULES: dict[str, _Rule] = {name: _Rule(*formula, PAPER_MISCONCEPTIONS[name]) for name, formula in _FORMULAS.items()}

_ALL_NAMES = (*QUANTITIES, "max_sigmoid_derivative")


def correct_values(given: Mapping[str, float] | None = None) -> dict[str, float]:
    """The given values (default: the exercise's) plus every quantity computed exactly from them."""
    return dict(_correct(_given(given)))


@functools.lru_cache(maxsize=256)
def _correct(given: GivenValues) -> Mapping[str, float]:
    v: dict[str, float] = given.as_dict()
    for name in _ALL_NAMES:
        value, _ = next(iter(RULES[name].accepted(v)))
        v[name] = float(value)
    return v


def _read(answers: Mapping[str, object], name: str) -> float:
    """The student's answer ``name`` as a finite float, or a GradingError saying why not."""
    if name not in answers:
        raise GradingError(missing_answer(name, answers), misconception="missing_answer")
    return as_scalar(answers[name], name)


def _read_or_none(answers: Mapping[str, object], name: str) -> float | None:
    try:
        return _read(answers, name)
    except GradingError:
        return None


def _evaluate(formula: Formula, values: Mapping[str, float]) -> list[tuple[float, str]]:
    """Values a formula gives, skipping those undefined for odd inputs (ln of a negative, …)."""
    try:
        result = formula(values)
        pairs = list(result) if not isinstance(result, (int, float)) else [(result, "")]
    except (ArithmeticError, ValueError, TypeError):
        return []
    return [(float(x), note) for x, note in pairs if isinstance(x, (int, float)) and _isfinite(x)]


def _judge(name: str, got: float, answers: Mapping[str, object], given: GivenValues,
           inputs: str = "theirs or correct", verdicts: dict[str, Result | None] | None = None) -> Result:
    """The judgement of the student's ``got`` for quantity ``name``.

    ``inputs`` says which earlier values the step is computed from: the student's or the
    correct ones (error carried forward, the default), only the student's where they
    have one ("theirs"), or only the correct ones ("correct": nothing carried forward).

    ``verdicts`` caches the judgement of each earlier answer.  A step that is right only
    when computed from an earlier answer that is not simply right (it failed, or was
    itself carried forward) is right by error carried forward, with the root of that
    error as its ``root``; one computed from answers that are right (a hint-table
    reading, a rounded value) is simply right.
    """
    verdicts = {} if verdicts is None else verdicts
    rule = RULES[name]
    carry_forward = inputs != "correct"
    theirs = {n: _read_or_none(answers, n) if carry_forward else None for n in QUANTITIES}
    correct = _correct(given)
    # Misconception formulas may use any earlier value: the student's own where usable.
    base = dict(correct)
    base.update({n: x for n, x in theirs.items() if x is not None})

    options = []
    for n in rule.inputs:
        choices = [theirs[n]] if theirs[n] is not None else []
        if not choices or (inputs != "theirs" and not close(theirs[n], correct[n], 1e-12, 0.0)):
            choices.append(correct[n])
        options.append(choices)
    combos, carried = [], []
    for chosen in itertools.product(*options):
        values = dict(base)
        values.update(zip(rule.inputs, chosen))
        combos.append(values)
        carried.append(tuple(root for n, value in zip(rule.inputs, chosen)
                             if value == theirs[n] and value != correct[n]
                             for root in _error_roots(n, answers, given, verdicts)))

    matches = [(bool(roots), abs(got - expected), note, roots)
               for values, roots in zip(combos, carried) for expected, note in _evaluate(rule.accepted, values)
               if close(got, expected, RTOL, ATOL)]
    if matches:
        # Right from right inputs beats right from a wrong one; then the closest reading.
        from_wrong, _, note, roots = min(matches, key=lambda match: match[:2])
        if from_wrong:
            roots = tuple(dict.fromkeys(roots))
            return passed_result(
                name, f"{name} = {fmt(got)} is right for your own earlier answers (the error in your "
                      f"{' and '.join(roots)} is marked once, in {'their' if len(roots) > 1 else 'its'} own test).",
                carried_from=",".join(roots))
        return passed_result(name, f"{name} = {fmt(got)} is right" + (f" (using {note})." if note else "."))

    checked = ("\n" + _checked_against(rule, theirs, given)) if carry_forward else ""
    # The student's own rounding comes first: an answer that is the right value rounded
    # to the figures the student wrote is short of precision, not a misconception
    # (-0.025 rounded to -0.03 is not "you multiplied by z1", although -0.05 × 0.6 = -0.03).
    half_unit, figures = written_precision(got)
    if got != 0 and any(abs(got - expected) <= half_unit
                        for values in combos for expected, _ in _evaluate(rule.accepted, values)):
        return failed_result(name, (
            f"{name} = {fmt(got)} is close, but it has only {figures} significant figure"
            f"{'s' if figures != 1 else ''}: the tests need at least 3 (e.g. 0.123, not 0.1). "
            f"Keep more digits in every step." + checked), TOO_FEW_FIGURES)

    causes, ids = [], []
    for id_, description, formula in rule.misconceptions:
        if any(close(got, wrong, RTOL, ATOL) or abs(got - wrong) <= half_unit
               for values in combos for wrong, _ in _evaluate(formula, values)):
            causes.append(description)
            ids.append(id_)
    misconception = ids[0] if ids else None
    if not causes:
        flipped = any(close(-got, expected, RTOL, ATOL)
                      for values in combos for expected, _ in _evaluate(rule.accepted, values))
        if flipped and got != 0:
            causes.append("the sign is flipped")
            misconception = SIGN_FLIPPED

    lines = [f"{name} = {fmt(got)} does not match {rule.formula}."]
    if causes:
        lines.append("It looks like " + "; or ".join(causes) + ".")
    return failed_result(name, "\n".join(lines) + checked, misconception)


# Failures that no named misconception of RULES explains.
TOO_FEW_FIGURES, SIGN_FLIPPED = "too_few_significant_figures", "sign_flipped"


def _names_a_misconception(result: Result) -> bool:
    return result.misconception is not None and result.misconception not in (TOO_FEW_FIGURES, SIGN_FLIPPED)


def _error_roots(name: str, answers: Mapping[str, object], given: GivenValues,
                 verdicts: dict[str, Result | None]) -> tuple[str, ...]:
    """The earlier steps whose error the student's answer ``name`` carries: ``(name,)``
    when it failed its own test, its roots when it was carried forward, () when right."""
    if name not in verdicts:
        verdicts[name] = None  # the chain has no cycles; this only guards the recursion
        got = _read_or_none(answers, name)
        verdicts[name] = None if got is None else _judge(name, got, answers, given, verdicts=verdicts)
    verdict = verdicts[name]
    if verdict is None or verdict.outcome is Outcome.PASSED:
        return ()
    return (name,) if verdict.outcome is Outcome.FAILED else tuple(verdict.root.split(","))


# Steps that read given values directly: where answers worked from other values show.
_GIVEN_STEPS = ("z1", "z2", "dL_da1", "dL_dW1")


def answers_from_other_values(answers: Mapping[str, object], given: Mapping[str, float]) -> list[str]:
    """The given-value steps that show ``answers`` were worked from other values than ``given``.

    A step counts when its answer neither follows from ``given`` (with error carried
    forward) nor matches a named misconception applied to the student's own earlier
    answers.  Returns them when there are two or more (one is just a slip), else [].
    With per-student values such answers are graded without error carried forward
    (``check_quantity(..., carry_forward=False)``), or a chain copied from another
    student would pass every step that reads no given value.
    """
    values = _given(given)
    off = []
    for name in _GIVEN_STEPS:
        got = _read_or_none(answers, name)
        if got is not None and not _judge(name, got, answers, values).passed \
                and not _names_a_misconception(_judge(name, got, answers, values, inputs="theirs")):
            off.append(name)
    return off if len(off) >= 2 else []


def _checked_against(rule: _Rule, theirs: Mapping[str, float | None], given: GivenValues) -> str:
    if not rule.inputs:
        if rule.symbol.startswith("max"):
            return "Move the sigmoid slider and watch the σ'(z) curve."
        listed = ", ".join(f"{k} = {getattr(given, k):g}" for k in ("W1", "x", "b1"))
        return f"Checked against the given values {listed}."
    yours = [f"your {n} = {fmt(theirs[n])}" for n in rule.inputs if theirs[n] is not None]
    missing = [n for n in rule.inputs if theirs[n] is None]
    text = "Checked against " + " and ".join(yours) if yours else "Checked"
    if missing:
        joined = ", ".join(missing)
        text += (" and" if yours else "") + f" the correct {joined} (your {joined} is missing or not a number)"
    return text + "."


@judgement(lambda name, *_, **__: name)
def judge_quantity(name: str, answers: Mapping[str, object], *, hidden: bool = False,
                   given: Mapping[str, float] | None = None, carry_forward: bool = True) -> Result:
    """The judgement of quantity ``name``; never raises.

    ``answers`` is the notebook's ``globals()``, read as the student's answers: the
    judge reads only the declared answer names (:data:`QUANTITIES`, each coerced with
    ``as_scalar``) and, for a missing one, the input history ``In`` to say why.  Visible (``hidden=False``): the answer is one finite number,
    and no value is revealed.  Hidden: its value, with error carried forward (see the
    module doc).  The given values are ``given`` (the grader writes the student's own
    as a literal, see course.grader.own_values), else :data:`GIVEN`; never read from
    the notebook.  ``carry_forward=False`` (the grader's verdict of
    :func:`answers_from_other_values`) checks against the values ``given`` leads to only.
    """
    if name not in RULES:
        raise ValueError(f"unknown quantity {name!r}")  # an authoring error, not a student one
    if not hidden:
        return visible.judge_quantity(name, answers)
    got = _read(answers, name)
    values = _given(given)
    if carry_forward:
        return _judge(name, got, answers, values)
    result = _judge(name, got, answers, values, inputs="correct")
    if result.passed:
        return result
    return failed_result(name, result.message + (
        "\nYour answers look worked from other given values than yours (see the grading note), "
        "so earlier answers are not carried forward."), result.misconception)


check_quantity = reporting(judge_quantity)


def grade_answers(answers: Mapping[str, object],
                  given: Mapping[str, float] | None = None) -> dict[str, Result]:
    """Judge every quantity at once against ``given`` (default: the exercise's), silently.

    Returns name -> :class:`~course.checks.result.Result`.  For instructors and quick
    experiments; the notebook's tests call :func:`check_quantity`.  With ``given``
    (per-student values), answers worked from other values are not carried forward, as
    when graded.
    """
    carry_forward = given is None or not answers_from_other_values(answers, given)
    return {name: judge_quantity(name, answers, hidden=True, given=given, carry_forward=carry_forward)
            for name in _ALL_NAMES}
