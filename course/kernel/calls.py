"""Call student code so that nothing it does can spoil a test cell.

nbgrader gives a test cell zero if it writes *anything* to stderr, and a student's
function may warn, print to stderr, call ``sys.exit``, loop forever or raise.  Every
call from a check goes through :func:`call_student`, which turns each of those into a
:class:`~course.kernel.messages.GradingError` with a short message (or, for harmless warnings,
into nothing at all) so that one bad function costs exactly the tests that use it.

Global settings a student's cells may have changed (warning filters, ``np.seterr``) are
reset for the call, so they change nothing the checks see; and a check that forbids
automatic differentiation has the call watched by :mod:`course.kernel.autodiff`.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import signal
import sys
import threading
import warnings
from typing import Any, Callable


from course.kernel.autodiff import describe_calls, watching_autodiff
from course.kernel.messages import GradingError, error_summary
# As they were before any student cell ran (course/kernel/pristine.py says why).
from course.kernel.pristine import catch_warnings as _catch_warnings
from course.kernel.pristine import np_errstate as _errstate
from course.kernel.pristine import simplefilter as _simplefilter

__all__ = ["call_student", "run_call", "intercepting", "StudentCall", "DEFAULT_TIME_LIMIT"]

DEFAULT_TIME_LIMIT = 20.0  # seconds for one call; the nbgrader cell timeout is larger

# numpy's default floating-point error handling: a student's np.seterr(all="ignore")
# must not hide an overflow from the check that looks for it.
_NUMPY_DEFAULTS = {"divide": "warn", "over": "warn", "invalid": "warn", "under": "ignore"}


class _TimeLimit(BaseException):
    """Raised by the alarm inside student code; BaseException so `except Exception` misses it."""


class StudentCall:
    """Result of :func:`call_student`: the return value and the warnings it raised."""

    def __init__(self, value: Any, warnings_raised: list[warnings.WarningMessage], stderr: str):
        self.value = value
        self.warnings = warnings_raised
        self.stderr = stderr

    def runtime_warnings(self) -> list[str]:
        """Messages of the numerical (RuntimeWarning) warnings, e.g. ``overflow encountered in exp``."""
        return [str(w.message) for w in self.warnings if issubclass(w.category, RuntimeWarning)]


def _forbidden_exit(*_args: object, **_kwargs: object) -> None:
    raise GradingError("your code tried to stop the Python process (os._exit / sys.exit).")


@contextlib.contextmanager
def _alarm(seconds: float | None):
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _on_alarm(_signum, _frame):
        raise _TimeLimit()

    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# While grading, the grader answers a check's calls from the kernel's report instead of
# calling anything (course/grader/replay.py); see :func:`intercepting`.
_INTERCEPTOR: contextvars.ContextVar[Callable[..., StudentCall] | None] = contextvars.ContextVar(
    "course_call_interceptor", default=None)


@contextlib.contextmanager
def intercepting(handler: Callable[..., StudentCall]):
    """Within the block, :func:`call_student` hands every call to ``handler(function, args,
    kwargs, what=, time_limit=, forbid_autodiff=)`` instead of making it.  The grader
    records a check's calls this way (to send them to the kernel) and replays the
    kernel's answers (to judge them)."""
    token = _INTERCEPTOR.set(handler)
    try:
        yield
    finally:
        _INTERCEPTOR.reset(token)


def call_student(
    function: Callable[..., Any],
    *args: Any,
    what: str,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    forbid_autodiff: str | None = None,
    **kwargs: Any,
) -> StudentCall:
    """Call ``function(*args, **kwargs)`` on the student's behalf (see :func:`run_call`),
    or hand the call to the grader's handler inside :func:`intercepting`."""
    handler = _INTERCEPTOR.get()
    if handler is not None:
        return handler(function, args, kwargs, what=what, time_limit=time_limit, forbid_autodiff=forbid_autodiff)
    return run_call(function, *args, what=what, time_limit=time_limit, forbid_autodiff=forbid_autodiff, **kwargs)


def run_call(
    function: Callable[..., Any],
    *args: Any,
    what: str,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    forbid_autodiff: str | None = None,
    **kwargs: Any,
) -> StudentCall:
    """Call ``function(*args, **kwargs)`` on the student's behalf.

    ``what`` names the call in feedback, e.g. ``"backward_pass(x=0.5, ...)"``.
    Warnings are recorded (not printed), stderr is captured (not written), ``sys.exit``
    and ``os._exit`` raise instead of ending the kernel, and the call is stopped after
    ``time_limit`` seconds.  Any exception becomes a :class:`GradingError`.

    ``forbid_autodiff`` is a message with a ``{used}`` field: if given, the call is
    watched (:func:`course.kernel.autodiff.watching_autodiff`) and a call that ran automatic
    differentiation raises :class:`GradingError` with that message, ``{used}`` naming
    what actually ran, whether or not the function also failed.
    """
    if not callable(function):
        raise GradingError(f"{what.split('(')[0]} should be a function, but it is a {type(function).__name__}.")
    captured_stderr = io.StringIO()
    saved_exits = (os._exit, sys.exit)
    os._exit = _forbidden_exit
    sys.exit = _forbidden_exit
    watch = None
    failure: GradingError | None = None
    try:
        with _catch_warnings(record=True) as raised, _errstate(**_NUMPY_DEFAULTS):
            _simplefilter("always")
            with contextlib.redirect_stderr(captured_stderr), _alarm(time_limit):
                if forbid_autodiff is None:
                    value = function(*args, **kwargs)
                else:
                    with watching_autodiff() as watch:
                        value = function(*args, **kwargs)
    except GradingError as error:
        failure = error
    except _TimeLimit:
        failure = GradingError(f"{what} did not finish within {time_limit:g} s (an endless loop?).")
    except SystemExit:
        failure = GradingError(f"{what} called sys.exit / exit(); functions must return a value.")
    except NotImplementedError:
        failure = GradingError(f"{what} is not implemented yet (it raises NotImplementedError).",
                               misconception="not_implemented")
    except Exception as error:  # noqa: BLE001 - any student error becomes feedback
        failure = GradingError(f"{what} raised {error_summary(error)}")
    finally:
        os._exit, sys.exit = saved_exits
    # Autodiff is reported first: a function that used it and then failed is told why.
    if watch is not None and watch.used:
        raise GradingError(forbid_autodiff.format(used=describe_calls(watch)), misconception="used_autodiff")
    if failure is not None:
        raise failure
    return StudentCall(value, list(raised), captured_stderr.getvalue())
