"""Run a notebook's graded test cells in this process and score them as nbgrader does.

The grader corpora (``paper_helpers``, ``verification_helpers``, ``gradient_flow_helpers``)
execute the SOURCE notebook's test cells against many student variants.  Starting a
kernel per variant would take minutes, so the cells run here, in a namespace that plays
the kernel's part, and every cell is scored by nbgrader's own code:

1. the cell runs the way IPython runs it: statements, then the value of a trailing
   expression becomes an ``execute_result``; prints and warnings become ``stream``
   outputs (a warning goes to stderr, as in a kernel); an exception becomes an
   ``error`` output;
2. ``nbgrader.preprocessors.IgnorePattern``, configured from ``nbgrader_config.py``,
   drops the stderr it would drop during ``nbgrader autograde``;
3. ``nbgrader.utils.determine_grade`` gives the points: zero for an error or any stderr,
   an ``execute_result`` as partial credit, full marks otherwise.

A test cell is graded as nbgrader grades it with the course's preprocessors: its checks
are planned (course/grader/judging.py), the plan runs here as the grading kernel runs it
(it only reports), and the grader's judges decide on the report.  Other cells run as
they are; a student-side check a non-test cell calls publishes its
:class:`course.kernel.result.Result` as a ``display_data`` output, recorded here too.  Whole submissions (the planted
class of ``tests/grading/test_class_report.py``) go through real ``nbgrader autograde`` instead.

``tests/grading/test_notebook_grader.py`` runs the same cells through real ``nbgrader autograde``
and checks that both agree.  Not reproduced: output a C extension writes straight to
file descriptor 2 (a kernel forwards it; Python-level redirection cannot see it).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from unittest import mock

from nbformat.v4 import new_code_cell, new_output

from course.kernel import result as _results
from course.kernel.messages import GradingError
from course.grader.judges import NO_REPORT
from course.grader.judging import judge_cell, plan_cell, report_source
from course.kernel import report as _report

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["CellOutcome", "InProcessKernel", "grade_cells"]


@functools.lru_cache(maxsize=1)
def _ignore_pattern():
    """nbgrader's IgnorePattern preprocessor with the course's configuration."""
    from nbgrader.preprocessors import IgnorePattern
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return IgnorePattern(config=config)


@dataclass
class CellOutcome:
    """One graded test cell: the points nbgrader would award and what the cell showed."""

    grade_id: str
    points: float
    max_points: float
    outputs: list = field(default_factory=list)   # nbformat outputs, as the kernel would record them
    error: BaseException | None = None

    def _stream(self, name: str) -> str:
        return "".join(o.text for o in self.outputs if o.output_type == "stream" and o.name == name)

    @property
    def stdout(self) -> str:
        return self._stream("stdout")

    @property
    def stderr(self) -> str:
        return self._stream("stderr")

    @property
    def passed(self) -> bool:
        return self.points == self.max_points

    @property
    def message(self) -> str:
        """What the student reads: the error's message, else what the cell printed."""
        return str(self.error) if self.error is not None else self.stdout + self.stderr


class _Stream:
    """A file-like ``sys.stdout``/``sys.stderr`` that appends to a shared output list."""

    def __init__(self, name: str, outputs: list):
        self.name, self._outputs = name, outputs

    def write(self, text: str) -> int:
        if text:
            last = self._outputs[-1] if self._outputs else None
            # A kernel's consecutive writes to one stream arrive as one output.
            if last is not None and last.output_type == "stream" and last.name == self.name:
                last.text += text
            else:
                self._outputs.append(new_output("stream", name=self.name, text=text))
        return len(text)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        # A logging handler that took this stream as its sys.stderr (absl's, when TensorFlow
        # is first imported inside a cell) closes it at exit.
        pass

    def isatty(self) -> bool:
        return False


def _show_warning_on_stderr(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


class InProcessKernel:
    """A namespace that runs notebook cells like a kernel; use as a context manager.

    Inside the ``with`` block warnings are shown on the cell's stderr (as in a kernel,
    where pytest's warning capture does not exist) with the grading kernel's filters:
    Python's defaults, DeprecationWarning hidden (``nbgrader_config.py`` sets
    ``PYTHONWARNINGS``).
    """

    def __init__(self, namespace: dict | None = None):
        self.namespace = namespace if namespace is not None else {"__name__": "__main__"}
        self._warnings = warnings.catch_warnings()

    def __enter__(self) -> "InProcessKernel":
        self._warnings.__enter__()
        warnings.resetwarnings()
        warnings.simplefilter("default")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        warnings.showwarning = _show_warning_on_stderr
        return self

    def __exit__(self, *exc) -> None:
        self._warnings.__exit__(*exc)

    def _publisher(self, payload: dict) -> None:   # what IPython's display publisher does in a kernel
        self._published.append(new_output("display_data", data={_report.REPORT_MIME: payload, "text/plain": ""}))

    def run(self, source: str, name: str) -> tuple[list, BaseException | None]:
        """Execute ``source``; returns (outputs, the exception it raised or None)."""
        outputs: list = []
        error = None

        def publish(result) -> None:   # what IPython's display publisher does in a kernel
            outputs.append(new_output("display_data", data=_results.display_bundle(result)))

        with contextlib.redirect_stdout(_Stream("stdout", outputs)), \
                contextlib.redirect_stderr(_Stream("stderr", outputs)), \
                mock.patch.object(_results, "_publish", publish):
            try:
                tree = ast.parse(source, filename=f"<{name}>")
                # IPython shows a trailing expression's value unless the line ends in ';'.
                shown = tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";")
                last = tree.body.pop() if shown else None
                exec(compile(tree, f"<{name}>", "exec"), self.namespace)  # noqa: S102 - our notebook
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), f"<{name}>", "eval"), self.namespace)
                    if value is not None:
                        outputs.append(new_output("execute_result", data={"text/plain": repr(value)},
                                                  execution_count=1))
            except BaseException as raised:  # noqa: BLE001 - a kernel shows every exception as an error
                error = raised
                outputs.append(new_output("error", ename=type(raised).__name__, evalue=str(raised),
                                          traceback=[]))
        return outputs, error

    def grade(self, grade_id: str, source: str, max_points: float) -> CellOutcome:
        """Run one autograder test cell as grading does, and score it with nbgrader's functions.

        The cell's checks are planned, the plan runs here as it runs in the grading kernel
        (it only reports), and the grader judges the report (course/grader/judging.py);
        the verdict's outputs are what nbgrader scores.  A cell that declares no check runs as it is.
        """
        from nbgrader.utils import determine_grade

        cell_plan = plan_cell(source, where=grade_id)
        if cell_plan is None:
            outputs, error = self.run(source, grade_id)
        else:
            with mock.patch.object(_report, "_publish", self._publisher):
                self._published = []
                kernel_outputs, _ = self.run(report_source(cell_plan), grade_id)
            verdict = judge_cell(cell_plan, kernel_outputs + self._published, grade_id)
            # An honest report always answers the judge: a plan that lacks a call some
            # student's judge makes would score that student 0 in real grading.
            incomplete = [r.message for r in verdict.results if r.misconception == NO_REPORT]
            assert not incomplete, f"{grade_id}: the plan lacks what this student's judge asked: {incomplete}"
            outputs = verdict.outputs()
            failure = next((r for r in verdict.results if not r.passed), None)
            error = GradingError(failure.message, failure.misconception) if failure else None
            outputs.append(new_output("display_data", data=_results.display_bundle(verdict.result)))
        cell = new_code_cell(source, outputs=outputs, metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "grade_id": grade_id,
            "points": max_points, "schema_version": 3}})
        cell, _ = _ignore_pattern().preprocess_cell(cell, {}, 0)
        points, _ = determine_grade(cell)
        return CellOutcome(grade_id, float(points), float(max_points), list(cell.outputs), error)


def grade_cells(namespace: dict, cells: Iterable[tuple[str, str, float]]) -> dict[str, CellOutcome]:
    """Grade each ``(grade_id, source, points)`` test cell in order, in ``namespace``."""
    with InProcessKernel(namespace) as kernel:
        return {grade_id: kernel.grade(grade_id, source, points) for grade_id, source, points in cells}

