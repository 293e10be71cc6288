"""Which judge decides each check a test cell declares, and how it is judged.

A notebook's ``check_<thing>`` is decided by ``judge_<thing>``: its visible call by the
student-side judge of :mod:`course.kernel.checks` (the one Validate runs), its hidden
call by the grader's of :mod:`course.checks` (one protocol: :mod:`course.kernel.result`).  :func:`judge_declaration` runs it in
record mode (on the references, making the plan) or in replay mode (on the kernel's
report), and turns anything unexpected into a result: a report that cannot answer the
judge's questions scores 0 with a note, and an exception while judging (a grader bug)
becomes a "grader error" result, here on the grader side (inside a judge, the
:func:`~course.kernel.result.judgement` decorator does it, on both sides).

A check's arguments are the student's objects: a declared name is one of the notebook's
functions (those of :data:`~course.grader.reference.REFERENCES`: a reference while
recording, a stand-in whose calls the report answers while replaying) or an answer
variable (read from the notebook's namespace, so the plan asks the kernel for it).  An
answer variable the notebook never defines is not answered, before any judge runs.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Callable, Mapping

from course.checks import gradient_flow, paper, verification
from course.kernel.checks import gradient_flow as visible_gradient_flow
from course.kernel.checks import paper as visible_paper
from course.kernel.checks import verification as visible_verification
from course.checks.result import Result, failed_result, grader_error
from course.exercise.values import EXERCISE, from_mapping
from course.grader.declarations import NAMESPACE, Declaration
from course.grader.reference import REFERENCES
from course.grader.replay import (Labelled, Plan, Recording, RecordingNamespace, Replay, ReplayNamespace,
                     ReportIncomplete, run_judge)
from course.kernel.codec import CallableStandIn
from course.kernel.misconceptions import GRADER_ERROR, NO_REPORT
from course.kernel.messages import missing_answer

__all__ = ["JUDGES", "judge_for", "accepts_seed", "record", "replay", "NO_REPORT", "GRADER_ERROR"]

_log = logging.getLogger(__name__)

def _judges(*modules) -> dict[str, Callable[..., Result]]:
    """``check_<thing>`` -> ``judge_<thing>`` of ``modules``."""
    return {"check_" + name.removeprefix("judge_"): function
            for module in modules for name, function in vars(module).items()
            if name.startswith("judge_") and callable(function)}


# A visible call is judged by the very judge the student's Validate runs (student side);
# a hidden call by the grader's, with its oracles.
VISIBLE_JUDGES = _judges(visible_paper, visible_verification, visible_gradient_flow)
HIDDEN_JUDGES = _judges(paper, verification, gradient_flow)
JUDGES = {**HIDDEN_JUDGES, **VISIBLE_JUDGES}   # every check a test cell may declare


def judge_for(declaration: Declaration) -> Callable[..., Result]:
    table = HIDDEN_JUDGES if declaration.hidden else VISIBLE_JUDGES
    try:
        return table[declaration.check]
    except KeyError:
        raise ValueError(f"no {'hidden' if declaration.hidden else 'visible'} judge for "
                         f"{declaration.check}") from None


def accepts_seed(declaration: Declaration) -> bool:
    return "seed" in inspect.signature(judge_for(declaration)).parameters


def _test_name(declaration: Declaration) -> str:
    literal = next((arg[1] for arg in declaration.args if arg[0] == "literal" and isinstance(arg[1], str)), None)
    return literal or declaration.check.removeprefix("check_")


def _reference_namespace(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The right answer variables, for the given values a check is judged against (the
    exercise's by default); the notebooks' functions are arguments (:func:`_arguments`)."""
    given = kwargs.get("given")
    values = paper.correct_values(from_mapping(given).as_dict() if given else EXERCISE.as_dict())
    values["gradient_after_10_layers"] = 0.25 ** 10
    return values


class _Unanswered(Exception):
    """A declared answer variable the notebook does not define (its name)."""


def _arguments(declaration: Declaration, function_for: Callable[[str], Any], namespace: Mapping) -> list:
    """The declared arguments: ``globals()`` is ``namespace``, a function's name
    ``function_for(name)``, an answer variable's name its value in ``namespace``."""
    args = []
    for argument in declaration.args:
        if argument == NAMESPACE:
            args.append(namespace)
        elif argument[0] == "name" and argument[1] in REFERENCES:
            args.append(function_for(argument[1]))
        elif argument[0] == "name":
            if argument[1] not in namespace:
                raise _Unanswered(argument[1])
            args.append(namespace[argument[1]])
        else:
            args.append(argument[1])
    return args


def _reference(name: str) -> Labelled:
    return Labelled(name, REFERENCES[name])


def record(declaration: Declaration, kwargs: dict, plan: Plan, recording: Recording) -> Result:
    """Run the judge on the references, adding every call and read to ``plan``."""
    namespace = RecordingNamespace(_reference_namespace(kwargs), plan)
    try:
        args = _arguments(declaration, _reference, namespace)
    except _Unanswered as unknown:
        raise ValueError(f"{declaration.check}: {unknown} is neither a function of the notebooks nor an "
                         "answer the grader knows") from None
    result = run_judge(judge_for(declaration), args, kwargs, recording)
    if not result.passed:
        _log.warning("%s fails on the reference implementation (%s); its plan may lack calls",
                     declaration.check, result.message.splitlines()[0])
    return result


def replay(declaration: Declaration, kwargs: dict, plan: Plan, report: dict) -> Result:
    """The judge's verdict on the kernel's ``report`` of ``plan``."""
    name = _test_name(declaration)
    try:
        handler = Replay(plan, report)
        namespace = ReplayNamespace(plan, report)
        args = _arguments(declaration, CallableStandIn, namespace)
        result = run_judge(judge_for(declaration), args, kwargs, handler)
    except _Unanswered as missing:
        return failed_result(name, missing_answer(str(missing), namespace), "missing_answer")
    except ReportIncomplete as why:
        return failed_result(name, f"This test could not be judged: {why}. It scores 0; your instructor "
                                   "can see a note about it.", NO_REPORT)
    except Exception as error:  # noqa: BLE001 - a grader bug costs one test, not the batch
        _log.exception("judging %s failed", declaration.check)
        return grader_error(name, error)
    if result.misconception == GRADER_ERROR:
        _log.error("judging %s failed: %s", declaration.check, result.message)
    return result
