"""Run a notebook's graded test cells in this process and score them as nbgrader does.

The grader corpora (tests/notebook1/, notebook2/, notebook3/) execute the SOURCE
notebook's test cells against many student variants, all through :func:`grade`:

    grades = grade("02_code_verification", student_source)   # or a dict of the student's names
    grades.points, grades.max, grades.lost                    # totals; grade ids that lost points
    grades["test_backward_dz1"].misconception                  # one test: points, max, outcome, message

Starting a kernel per variant would take minutes, so the cells run here, in a namespace
that plays the kernel's part, and every cell is scored by nbgrader's own code:

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
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping
from unittest import mock

import nbformat
from nbformat.v4 import new_code_cell, new_output

from course.kernel import result as _results
from course.kernel.messages import GradingError
from course.kernel.result import Outcome
from course.grader.cells import grade_id as _grade_id
from course.grader.cells import is_autograder_test, nbgrader_meta
from course.grader.judges import NO_REPORT
from course.grader.judging import judge_cell, plan_cell, report_source
from course.kernel import report as _report

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "source" / "ex01_backprop"

# The instructor's code cells each notebook runs before a student's answers, in this order
# (notebook 2's verify_with_tensorflow stands below its tests, yet the tests need it).
GIVEN_CELLS = {
    "01_paper_calculation": ("paper_setup", "paper_given_values"),
    "02_code_verification": ("verification_setup", "verify_with_tensorflow"),
    "03_gradient_flow": ("setup_gradient_flow",),
}

# Module attributes a tampering submission may rebind; restored after each :func:`grade`
# (those of the modules loaded by then: the given cells import what the notebook uses).
_TAMPER_TARGETS = (("numpy", "allclose"), ("numpy.testing", "assert_allclose"), ("tensorflow", "GradientTape"))

__all__ = ["GIVEN_CELLS", "Grade", "Grades", "InProcessKernel", "grade", "grade_cells", "graded_cells", "max_points"]


@functools.lru_cache(maxsize=1)
def _ignore_pattern():
    """nbgrader's IgnorePattern preprocessor with the course's configuration."""
    from nbgrader.preprocessors import IgnorePattern
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return IgnorePattern(config=config)


@dataclass
class Grade:
    """One graded test cell: the points nbgrader would award and what the cell showed.

    ``outcome`` and ``misconception`` are the grader's verdict (:class:`course.kernel.result.Result`);
    None for a cell that declares no check (it runs as it is, like the probes of
    tests/grading/test_notebook_grader.py).
    """

    grade_id: str
    points: float
    max: float
    outcome: Outcome | None = None
    misconception: str | None = None
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
        return self.points == self.max

    @property
    def message(self) -> str:
        """What the student reads: the error's message, else what the cell printed."""
        return str(self.error) if self.error is not None else self.stdout + self.stderr


class Grades(dict):
    """Every graded test cell of one run, by grade id (``grades["test_z1"]`` is a :class:`Grade`)."""

    @property
    def points(self) -> float:
        return sum(g.points for g in self.values())

    @property
    def max(self) -> float:
        return sum(g.max for g in self.values())

    @property
    def lost(self) -> set[str]:
        """The grade ids that did not earn full marks."""
        return {grade_id for grade_id, g in self.items() if not g.passed}

    def messages(self, grade_ids: Iterable[str] | None = None) -> dict[str, str]:
        """What the student reads per test (default: the tests that lost points), for assertion messages."""
        return {g: self[g].message for g in (self.lost if grade_ids is None else grade_ids)}

    @property
    def crashes(self) -> dict[str, str]:
        """Tests that crashed: an error other than a failed assertion (a GradingError is one)."""
        return {g: repr(o.error) for g, o in self.items()
                if o.error is not None and not isinstance(o.error, AssertionError)}


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

    def grade(self, grade_id: str, source: str, max_points: float) -> Grade:
        """Run one autograder test cell as grading does, and score it with nbgrader's functions.

        The cell's checks are planned, the plan runs here as it runs in the grading kernel
        (it only reports), and the grader judges the report (course/grader/judging.py);
        the verdict's outputs are what nbgrader scores.  A cell that declares no check runs as it is.
        """
        from nbgrader.utils import determine_grade

        cell_plan = plan_cell(source, where=grade_id)
        verdict = None
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
        result = verdict.result if verdict is not None else None
        return Grade(grade_id, float(points), float(max_points),
                     result.outcome if result else None, result.misconception if result else None,
                     list(cell.outputs), error)


def grade_cells(namespace: dict, cells: Iterable[tuple[str, str, float]]) -> Grades:
    """Grade each ``(grade_id, source, points)`` test cell in order, in ``namespace``."""
    with InProcessKernel(namespace) as kernel:
        return Grades((grade_id, kernel.grade(grade_id, source, points)) for grade_id, source, points in cells)


# ---- a course notebook: its given cells, a student, its test cells --------------------------------

def _path(notebook: str | Path) -> Path:
    return Path(notebook) if isinstance(notebook, Path) else SOURCE_DIR / f"{notebook}.ipynb"


@functools.lru_cache(maxsize=8)
def _read(path: Path, mtime: float) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _cells(notebook: str | Path) -> list:
    path = _path(notebook)
    return _read(path, path.stat().st_mtime).cells


def graded_cells(notebook: str | Path) -> list[tuple[str, str, float]]:
    """``(grade_id, source with its hidden part, points)`` of each autograded test cell of a SOURCE notebook."""
    return [(_grade_id(c), c.source, float(nbgrader_meta(c)["points"])) for c in _cells(notebook)
            if is_autograder_test(c)]


def max_points(notebook: str | Path) -> float:
    """The autograded points of a SOURCE notebook."""
    return sum(points for _, _, points in graded_cells(notebook))


def _given_namespace(notebook: str | Path) -> dict:
    """A fresh namespace that ran the notebook's :data:`GIVEN_CELLS` (IPython magics skipped, prints dropped).

    A notebook not listed there (a probe notebook of the tests) runs none."""
    by_id = {_grade_id(c): c for c in _cells(notebook) if c.cell_type == "code"}
    namespace: dict = {"__name__": "__main__"}
    for grade_id in GIVEN_CELLS.get(_path(notebook).stem, ()):
        code = "\n".join(line for line in by_id[grade_id].source.splitlines() if not line.lstrip().startswith("%"))
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, f"<{grade_id}>", "exec"), namespace)  # noqa: S102 - our own notebook
    return namespace


def grade(notebook: str | Path, student: Mapping[str, object] | str, *, fresh_oracle: bool = False) -> Grades:
    """Grade one student on a SOURCE notebook (a name of NOTEBOOK_NAMES, or its path) in this process.

    The notebook's given cells run first, then the student: a ``str`` is the source of their
    answer cells, run in the namespace; a mapping holds the names their answer cells define
    (a name left out is an answer cell left as released).  Then every graded test cell runs,
    hidden part included, and is scored as nbgrader scores it.  Module attributes a submission
    may rebind (``np.allclose``, ``tf.GradientTape``) are restored afterwards.  A test cell that
    crashes (:attr:`Grades.crashes`) is a grader defect: it fails the calling test.

    ``fresh_oracle`` empties the checks' reference cache first, so the oracles are computed
    after the submission ran (as in a real kernel).
    """
    namespace = _given_namespace(notebook)
    saved = [(sys.modules[name], attribute, getattr(sys.modules[name], attribute))
             for name, attribute in _TAMPER_TARGETS if name in sys.modules]
    if fresh_oracle:
        from course.checks import verification

        verification._REFERENCE_CACHE.clear()
    try:
        if isinstance(student, str):
            exec(compile(student, "<student>", "exec"), namespace)  # noqa: S102 - a corpus student
        else:
            namespace.update(student)
        grades = grade_cells(namespace, graded_cells(notebook))
    finally:
        for module, attribute, original in saved:
            setattr(module, attribute, original)
    assert not grades.crashes, f"test cells crashed: {grades.crashes}"
    return grades

