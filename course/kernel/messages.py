"""What a student sees when a check passes or fails.

nbgrader scores a test cell by its outputs: an ``error`` output (or anything written to
stderr) gives zero, anything else full marks.  A failing check therefore raises
:class:`GradingError`, whose traceback IPython renders as the message alone — no hidden
test source, no wall of frames — and a passing check prints one short line to stdout.
"""

from __future__ import annotations

import ast
import re
import sys
from typing import Mapping

from course.kernel.misconceptions import declared

__all__ = ["GradingError", "passed", "fail", "fmt", "error_summary", "missing_answer"]


class GradingError(AssertionError):
    """A failed check.  ``str(error)`` is the whole feedback the student sees.

    ``misconception`` is an id declared in :mod:`course.kernel.misconceptions` (e.g.
    ``"decimal_comma"``) when a known mistake explains the failure, else None; the
    :class:`~course.kernel.result.Result` carries it into the class report.  An id not
    declared there raises :class:`~course.kernel.misconceptions.UndeclaredMisconception`.
    """

    def __init__(self, message: str = "", misconception: str | None = None):
        super().__init__(message)
        self.misconception = declared(misconception)

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


def error_summary(error: BaseException) -> str:
    """``"ValueError: shapes (3,) and (4,) not aligned"``: the type and the first line of
    the message (at most 200 characters), or the type alone when the message is empty
    (``raise ValueError()``), never a dangling colon."""
    kind = type(error).__name__
    text = str(error).strip()
    if not text:
        return "NotImplementedError (not written yet)" if isinstance(error, NotImplementedError) else kind
    return f"{kind}: {text.splitlines()[0][:200]}"


def _assigns(source: str, name: str) -> bool:
    """Whether a cell's source assigns ``name`` (comments do not count)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # the cell did not even run: look at its lines
        return re.search(rf"^\s*{re.escape(name)}\s*=(?!=)", source, re.M) is not None
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        if any(isinstance(t, ast.Name) and t.id == name for target in targets for t in ast.walk(target)):
            return True
    return False


def missing_answer(name: str, namespace: Mapping[str, object]) -> str:
    """Why answer variable ``name`` is not defined, read from the kernel's input history.

    ``namespace`` is the notebook's ``globals()``; IPython keeps every executed cell's
    source in its ``In`` list.  A student who wrote ``name = …`` in a cell that then
    raised is told to fix that error, not to replace ``raise NotImplementedError()``,
    which they already did.
    """
    history = namespace.get("In")
    inputs = [source for source in history if isinstance(source, str)] if isinstance(history, list) else []
    if any(_assigns(source, name) for source in inputs):
        return (f"{name} is not defined: the cell that sets it stopped with an error before {name} "
                f"was assigned. Fix the error shown under that cell and run it again.")
    return (f"{name} is not defined: in its answer cell replace `raise NotImplementedError()` "
            f"with `{name} = <your number>` and run that cell.")
