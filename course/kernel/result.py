"""One result type for every check of the course, and the thin wrapper that reports it.

Every check module has the same two layers:

- ``judge_*`` functions are pure judgements: they call the student's code (through
  :func:`course.kernel.calls.call_student`), compare, and return a :class:`Result` —
  never print, never raise for anything a student wrote;
- ``check_*`` functions, which the notebooks' test cells call, are one line each:
  ``report(judge_*(…))``.  :func:`report` shows the result and raises for nbgrader.

:func:`report` also publishes the result as a ``display_data`` output with the MIME type
:data:`RESULT_MIME` (and an empty ``text/plain``), so the structured outcome travels
with the autograded notebook: ``make report`` (:mod:`course.instructor.report`) reads it
from ``autograded/`` without re-running anything.  nbgrader scores a test cell by its
``error`` and ``execute_result`` outputs only, so a ``display_data`` never changes a
score, and it passes through every preprocessor of the autograde pipeline.

A fourth notebook copies this protocol: ``judge_<thing>(student objects, *, hidden=False)
-> Result`` and ``check_<thing> = reporting(judge_<thing>)``.

This module is student-side (:mod:`course.kernel`): the visible checks of
:mod:`course.kernel.checks` and the grader's judges (:mod:`course.checks`, which
re-exports it as ``course.checks.result``) share it.  In grading, the grader writes each
test's result into the cell's metadata under :data:`RESULT_METADATA` instead.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Callable

from course.kernel.messages import GradingError, passed
from course.kernel.misconceptions import GRADER_ERROR, NOT_ANSWERED_IDS, declared

__all__ = ["Outcome", "NOT_ANSWERED_IDS", "Result", "RESULT_MIME", "RESULT_METADATA", "report", "reporting", "judgement", "passed_result",
           "failed_result", "grader_error", "display_bundle"]

RESULT_MIME = "application/vnd.backprop-by-hand.result+json"
# The graded cell's metadata key under which the grader writes {"result", "results", "notes"}.
RESULT_METADATA = "course"


class Outcome(str, enum.Enum):
    """How a test went: right, right by error carried forward, wrong, or not answered."""

    PASSED = "passed"
    CARRIED = "passed_ecf"   # right, computed from the student's own wrong earlier value
    FAILED = "failed"
    NOT_ANSWERED = "not_answered"   # no answer to judge: a missing variable, a stub still raising


@dataclass(frozen=True)
class Result:
    """The judgement of one check.

    ``test``          what was judged, e.g. ``"dL_dz2"`` or ``"backward_pass['dz1']"``;
    ``outcome``       :class:`Outcome`;
    ``message``       what the student reads (one line when passed, a few when failed);
    ``misconception`` an id declared in :mod:`course.kernel.misconceptions`
                      (``"forgot_the_sigmoid_derivative"``) when a known mistake explains
                      a failed answer, else None; an undeclared id raises at construction;
    ``root``          for a carried result, the earlier step the error came from.
    """

    test: str
    outcome: Outcome
    message: str
    misconception: str | None = None
    root: str | None = None

    def __post_init__(self) -> None:
        declared(self.misconception)

    @property
    def passed(self) -> bool:
        return self.outcome in (Outcome.PASSED, Outcome.CARRIED)

    def as_json(self) -> dict:
        return {"test": self.test, "outcome": self.outcome.value, "misconception": self.misconception,
                "root": self.root}

    @classmethod
    def from_json(cls, data: dict, message: str = "") -> "Result":
        """The result :meth:`as_json` wrote; ``ValueError`` (never another error) when
        ``data`` is not one: not a mapping, a missing or unknown outcome, an undeclared
        misconception, a test or root that is not a string."""
        if not isinstance(data, dict) or not isinstance(data.get("test"), str):
            raise ValueError(f"not a result: {data!r:.200}")
        root = data.get("root")
        if root is not None and not isinstance(root, str):
            raise ValueError(f"a result's root is a string or null, not {root!r:.100}")
        return cls(data["test"], Outcome(data.get("outcome")), message, declared(data.get("misconception")), root)


def passed_result(test: str, message: str, *, carried_from: str | None = None) -> Result:
    """A passing :class:`Result` (carried forward when ``carried_from`` names the root)."""
    outcome = Outcome.CARRIED if carried_from else Outcome.PASSED
    return Result(test, outcome, message, None, carried_from)


def failed_result(test: str, message: str, misconception: str | None = None) -> Result:
    """A failing :class:`Result`: not answered when ``misconception`` says nothing was
    answered (:data:`NOT_ANSWERED_IDS`), else failed."""
    if misconception in NOT_ANSWERED_IDS:
        return Result(test, Outcome.NOT_ANSWERED, message)
    return Result(test, Outcome.FAILED, message, misconception)


def grader_error(test: str, error: BaseException) -> Result:
    """The result of a check that broke: ``error`` is a bug of the check, never the
    student's (student code runs through :func:`course.kernel.calls.call_student`, which
    turns anything it raises into a GradingError).  The student is told to tell the
    instructor, with the exception's type and no traceback."""
    return failed_result(test, f"{test} could not be checked ({type(error).__name__}); please tell your instructor.",
                         GRADER_ERROR)


def judgement(test: str | Callable[..., str]):
    """Decorator for a pure judgement whose body returns a :class:`Result` on success and
    raises :class:`GradingError` (possibly with a ``misconception``) on failure.

    The one place of the student side where an exception inside a judge becomes a
    result: a :class:`GradingError` a failed Result, any other exception one
    :func:`grader_error` Result (so a judgement never raises, on either side; the
    grader's replay, course.grader.judges, catches what happens outside a judge).
    ``test`` names what is judged, or computes the name from the judgement's arguments.
    """

    def decorate(body: Callable[..., Result]) -> Callable[..., Result]:
        fallback = body.__name__.removeprefix("judge_")

        @functools.wraps(body)
        def judge(*args, **kwargs) -> Result:
            name = fallback
            try:
                name = test(*args, **kwargs) if callable(test) else test
                return body(*args, **kwargs)
            except GradingError as error:
                return failed_result(name, str(error), error.misconception)
            except Exception as error:  # noqa: BLE001 - a check's bug costs one test, not the notebook
                return grader_error(name, error)

        return judge

    return decorate


def display_bundle(result: Result) -> dict:
    """The MIME bundle of ``result``'s ``display_data`` output.

    The JSON carries no message (a failure's message may quote an expected value; it is
    in the cell's error output already).  The empty ``text/plain`` makes front ends that
    do not know :data:`RESULT_MIME` show nothing instead of "no renderer"."""
    return {RESULT_MIME: result.as_json(), "text/plain": ""}


def _publish(result: Result) -> None:
    """Attach the result to the running cell's outputs (only inside an IPython kernel)."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.display import publish_display_data
    except ImportError:  # pragma: no cover - IPython is part of the environment
        return
    if not InteractiveShell.initialized():
        return  # plain Python: nothing to attach to (tests/support/notebook_grader.py records it itself)
    publish_display_data(display_bundle(result))


def report(result: Result) -> None:
    """Show ``result`` (a ✓ line) or raise :class:`GradingError` with its message.

    ``None`` (a student-side check called with ``hidden=True``: the grader judges that
    call) shows nothing."""
    if result is None:
        return
    _publish(result)
    if not result.passed:
        raise GradingError(result.message)
    passed(result.message)


def reporting(judge: Callable[..., Result]) -> Callable[..., None]:
    """``check_x = reporting(judge_x)``: the notebook-facing wrapper of a judgement."""

    @functools.wraps(judge)
    def check(*args, **kwargs) -> None:
        report(judge(*args, **kwargs))

    check.__name__ = judge.__name__.replace("judge_", "check_", 1)
    check.__qualname__ = check.__name__
    check.__doc__ = f"Report :func:`{judge.__name__}` (prints ✓ or raises GradingError).\n\n{judge.__doc__ or ''}"
    return check
