"""Keep hidden test text out of every output a student can read (an nbgrader preprocessor).

When a test cell fails before its check runs (the student's function is undefined
because an earlier cell failed, a missing package, a check that raises, an interrupt
after a timeout), IPython's traceback quotes the cell around the failing line, hidden
tests included, and nbgrader copies that traceback into the autograded notebook and the
feedback page.  The kernel cannot be trusted to prevent it (student code can patch
anything there), so :class:`ShortTestErrors` rewrites the outputs *outside* the kernel,
in the nbgrader process, in both the autograde and the feedback pipeline
(``nbgrader_config.py``):

- an error output of an autograder test cell keeps its ``ename``/``evalue`` (so the
  score is unchanged: any error output is zero) but its traceback becomes a short
  message built from them, with no frame and no source line;
- every line of any output, in any cell, that contains a line of a hidden test block
  (after removing ANSI colour codes) is replaced by :data:`REDACTED`.
"""

from __future__ import annotations

import html
import re

import copy

from nbconvert.exporters import HTMLExporter
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from course.grader.cells import is_autograder_test

__all__ = ["FeedbackExporter", "LimitOutputSize", "ShortTestErrors", "hidden_lines", "short_traceback", "REDACTED"]

REDACTED = "[a line of a hidden test was removed here]"
_HIDDEN_BLOCK = re.compile(r"BEGIN HIDDEN TESTS(.*?)(?:END HIDDEN TESTS|\Z)", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TAGS = re.compile(r"<[^>]+>")
_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Shorter lines ("pass", ")") are common words, not test text worth hiding.
MIN_HIDDEN_LINE = 8

# What the student is told, by the kind of error, when a test could not run its check.
_ADVICE = {
    "NameError": "a name the test uses is not defined: the cell that defines it has not run or "
                 "stopped with an error. Fix the first error above this test, then run the "
                 "notebook from the top (Kernel → Restart Kernel and Run All Cells).",
    "ModuleNotFoundError": "a package could not be imported; only the course's packages are installed.",
    "ImportError": "an import failed; only the course's packages are installed.",
    "KeyboardInterrupt": "the test was stopped because it ran too long (an endless loop, or very slow code).",
    "CellTimeoutError": "the test was stopped because it ran too long (an endless loop, or very slow code).",
    "DeadKernelError": "the Python kernel stopped while this test ran.",
}
# Errors whose value is already the whole message for the student: a check's failure,
# the integrity scan's note (course/grader/integrity_notes.py) and a notebook not handed in
# (course/sandbox/kernels.py).
_MESSAGE_ERRORS = ("GradingError", "IntegrityError", "NotSubmitted")
_DEFAULT_ADVICE = ("the code this test calls raised an error before the test could judge it; "
                   "run the cells above it and fix the first error you see.")


def hidden_lines(sources: list[str]) -> set[str]:
    """The stripped lines (at least :data:`MIN_HIDDEN_LINE` long) of every hidden test block."""
    lines = set()
    for source in sources:
        for block in _HIDDEN_BLOCK.findall(source):
            lines.update(line.strip() for line in block.splitlines() if len(line.strip()) >= MIN_HIDDEN_LINE)
    return lines


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _leaks(text: str, hidden: set[str]) -> bool:
    plain = _plain(text)
    return any(marker in plain for marker in _MARKERS) or any(line in plain for line in hidden)


def _redact(text: str, hidden: set[str]) -> str:
    """``text`` with every line that shows hidden test text replaced by :data:`REDACTED`."""
    if not _leaks(text, hidden):
        return text
    return "\n".join(REDACTED if _leaks(line, hidden) else line for line in text.split("\n"))


def short_traceback(ename: str, evalue: str, hidden: set[str]) -> list[str]:
    """What a failed test cell shows: the check's message, or a short note on the error.

    A check's own failure (``GradingError``) and the integrity note are shown as their
    message alone, as the kernel renders a GradingError; any other error gets one line of advice and its type and value.
    """
    evalue = _redact(evalue or "", hidden)
    if ename in _MESSAGE_ERRORS:
        lines = evalue.splitlines() or ["check failed"]
        return ["\u2717 " + lines[0], *("  " + line for line in lines[1:])]
    advice = _ADVICE.get(ename, _DEFAULT_ADVICE)
    detail = f"{ename}: {evalue}" if evalue.strip() else ename
    return [f"\u2717 This test could not run: {advice}", f"  ({detail.splitlines()[0][:300]})"]


class ShortTestErrors(NbGraderPreprocessor):
    """Short test-cell errors and no hidden test line in any output (see the module doc)."""

    def preprocess(self, nb, resources):
        hidden = hidden_lines([cell.source for cell in nb.cells if cell.cell_type == "code"])
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            test = is_autograder_test(cell)
            for output in cell.get("outputs", []):
                self._clean(output, hidden, test)
        return nb, resources

    @staticmethod
    def _clean(output, hidden: set[str], test: bool) -> None:
        kind = output.get("output_type")
        if kind == "error":
            if test:
                output.traceback = short_traceback(output.get("ename", "Error"), output.get("evalue", ""), hidden)
            else:
                output.traceback = [_redact(line, hidden) for line in output.get("traceback", [])]
            output.evalue = _redact(output.get("evalue", ""), hidden)
        elif kind == "stream":
            output.text = _redact(output.get("text", ""), hidden)
        elif kind in ("display_data", "execute_result"):
            for mime, value in list(output.get("data", {}).items()):
                if not isinstance(value, str):
                    continue
                shown = html.unescape(_TAGS.sub("", value)) if "html" in mime else value
                if _leaks(shown, hidden):
                    output.data[mime] = _redact(value, hidden) if "html" not in mime else REDACTED


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter for ``GenerateFeedback``, without a false configuration warning.

    ``HTMLExporter`` configures ``NbConvertBase.display_data_priority`` for its templates'
    filters.  Every nbgrader preprocessor is an ``NbConvertBase`` too, but nbgrader
    redeclares that trait as not configurable, so each of them, nbgrader's own
    ``ClearHiddenTests`` included, logged "Config option `display_data_priority` not
    recognized by …" on every feedback page.  Such a preprocessor is built here with
    that one setting left out of its configuration; it never read it anyway.
    """

    def register_preprocessor(self, preprocessor, enabled=False):
        if isinstance(preprocessor, type) and issubclass(preprocessor, NbGraderPreprocessor):
            trait = preprocessor.class_traits().get("display_data_priority")
            if trait is not None and not trait.metadata.get("config"):
                config = copy.deepcopy(self.config)
                if config._has_section("NbConvertBase"):
                    config.NbConvertBase.pop("display_data_priority", None)
                preprocessor = preprocessor(parent=self, config=config)
        return super().register_preprocessor(preprocessor, enabled)


class LimitOutputSize(NbGraderPreprocessor):
    """Cut every text output to ``max_chars`` characters (``c.LimitOutputSize.max_chars``).

    nbgrader's ``LimitOutput`` counts lines; one ``print("x" * 10**8)`` is one line and
    would be copied into the gradebook folder and the feedback page whole.
    """

    max_chars = Integer(20_000, help="Characters kept of each text output; the rest is cut.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        limit = self.max_chars
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and len(output.get("text", "")) > limit:
                output.text = output.text[:limit] + "\n… [output cut by the grader]\n"
            for mime, value in list(output.get("data", {}).items()):
                if isinstance(value, str) and len(value) > limit and mime.startswith("text/"):
                    output.data[mime] = value[:limit] + "\n… [output cut by the grader]"
        return cell, resources
