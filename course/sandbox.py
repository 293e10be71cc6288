"""Call student code so that nothing it does can spoil a test cell.

nbgrader gives a test cell zero if it writes *anything* to stderr, and a student's
function may warn, print to stderr, call ``sys.exit``, loop forever or raise.  Every
call from a check goes through :func:`call_student`, which turns each of those into a
:class:`~course.feedback.GradingError` with a short message (or, for harmless warnings,
into nothing at all) so that one bad function costs exactly the tests that use it.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
import types
import warnings
from typing import Any, Callable, Iterable

from .feedback import GradingError
# As they were before any student cell ran (course/pristine.py says why).
from .pristine import catch_warnings as _catch_warnings
from .pristine import simplefilter as _simplefilter

__all__ = ["call_student", "StudentCall", "referenced_names", "any_referenced", "DEFAULT_TIME_LIMIT"]

DEFAULT_TIME_LIMIT = 20.0  # seconds for one call; the nbgrader cell timeout is larger



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


def call_student(
    function: Callable[..., Any],
    *args: Any,
    what: str,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    **kwargs: Any,
) -> StudentCall:
    """Call ``function(*args, **kwargs)`` on the student's behalf.

    ``what`` names the call in feedback, e.g. ``"backward_pass(x=0.5, ...)"``.
    Warnings are recorded (not printed), stderr is captured (not written), ``sys.exit``
    and ``os._exit`` raise instead of ending the kernel, and the call is stopped after
    ``time_limit`` seconds.  Any exception becomes a :class:`GradingError`.
    """
    if not callable(function):
        raise GradingError(f"{what.split('(')[0]} should be a function, but it is a {type(function).__name__}.")
    captured_stderr = io.StringIO()
    saved_exits = (os._exit, sys.exit)
    os._exit = _forbidden_exit
    sys.exit = _forbidden_exit
    try:
        with _catch_warnings(record=True) as raised:
            _simplefilter("always")
            with contextlib.redirect_stderr(captured_stderr), _alarm(time_limit):
                value = function(*args, **kwargs)
    except GradingError:
        raise
    except _TimeLimit:
        raise GradingError(f"{what} did not finish within {time_limit:g} s (an endless loop?).") from None
    except SystemExit:
        raise GradingError(f"{what} called sys.exit / exit(); functions must return a value.") from None
    except NotImplementedError:
        raise GradingError(f"{what} is not implemented yet (it raises NotImplementedError).") from None
    except Exception as error:  # noqa: BLE001 - any student error becomes feedback
        message = str(error).splitlines()[0][:200] if str(error) else ""
        raise GradingError(f"{what} raised {type(error).__name__}: {message}") from None
    finally:
        os._exit, sys.exit = saved_exits
    return StudentCall(value, list(raised), captured_stderr.getvalue())


def referenced_names(function: Callable[..., Any], depth: int = 3) -> set[str]:
    """Global and attribute names used by ``function`` and the functions it references.

    Used to notice, without running anything, a "manual" backward pass that reaches for
    ``GradientTape``.  Follows nested code objects and global functions defined in the
    student's notebook up to ``depth`` levels.
    """
    names: set[str] = set()
    seen: set[int] = set()

    def visit_code(code: types.CodeType, globals_: dict, level: int) -> None:
        if id(code) in seen:
            return
        seen.add(id(code))
        names.update(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                visit_code(const, globals_, level)
        if level >= depth:
            return
        for name in code.co_names:
            target = globals_.get(name)
            if isinstance(target, types.FunctionType) and getattr(target, "__module__", None) == "__main__":
                visit_code(target.__code__, target.__globals__, level + 1)

    if isinstance(function, types.FunctionType):
        visit_code(function.__code__, function.__globals__, 0)
    return names


def any_referenced(function: Callable[..., Any], forbidden: Iterable[str]) -> set[str]:
    """The subset of ``forbidden`` names that :func:`referenced_names` finds."""
    return referenced_names(function) & set(forbidden)
