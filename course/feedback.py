"""What a student sees when a check passes or fails.

nbgrader scores a test cell by its outputs: an ``error`` output (or anything written to
stderr) gives zero, anything else full marks.  A failing check therefore raises
:class:`GradingError`, whose traceback IPython renders as the message alone — no hidden
test source, no wall of frames — and a passing check prints one short line to stdout.
"""

from __future__ import annotations

import sys

__all__ = ["GradingError", "passed", "fail", "fmt"]


class GradingError(AssertionError):
    """A failed check.  ``str(error)`` is the whole feedback the student sees."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting the stack: the hidden test cell's
        # source never reaches the notebook output or the feedback HTML.
        lines = str(self).splitlines() or ["check failed"]
        return ["\u2717 " + lines[0], *("  " + line for line in lines[1:])]


def fail(message: str) -> "GradingError":
    """Raise a :class:`GradingError` with ``message``; typed as returning for ``raise fail()``."""
    raise GradingError(message)


def passed(message: str) -> None:
    """Print a one-line success message to the real stdout."""
    # sys.__stdout__ would bypass the kernel's capture; sys.stdout is the cell output.
    print("\u2713 " + message, file=sys.stdout, flush=True)


def fmt(value: float) -> str:
    """Format a number for feedback: 6 significant figures, never scientific noise."""
    if value != value:  # NaN
        return "nan"
    return f"{value:.6g}"
