"""nbgrader preprocessors of this course, configured in ``nbgrader_config.py``.

:class:`FlagTampering` runs in the nbgrader process after the notebook has executed
and before the scores are saved, so nothing a student's code does in the kernel can
reach it.  It scans every student code cell with :func:`course.integrity.scan_source`;
from the first cell with a finding on, every autograder test scores zero, and a note
placed after that cell tells the student (and the teaching assistant in formgrader)
what was found.  Cells that read files lose their outputs, so nothing they read
(hidden tests in the gradebook, for example) reaches the feedback.
"""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from .cells import grade_id, is_autograder_test
from .integrity import scan_source

__all__ = ["FlagTampering", "LimitOutputSize", "NOTE_MARKER"]

NOTE_MARKER = "grading-integrity-note"


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


def _instructor_sources(resources: dict) -> set[str]:
    """Sources of the instructor's locked cells (tests, given code) from the gradebook."""
    info = resources.get("nbgrader", {})
    try:
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            return {cell.source for cell in notebook.source_cells if cell.locked}
    except (KeyError, MissingEntry):
        return set()


class FlagTampering(NbGraderPreprocessor):
    """Zero the tests that follow student code which patches, exits or reads files."""

    def preprocess(self, nb, resources):
        instructor = _instructor_sources(resources)
        first_flagged, reports = None, []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or is_autograder_test(cell) or cell.source in instructor:
                continue
            findings = scan_source(cell.source)
            if not findings:
                continue
            if first_flagged is None:
                first_flagged = index
            name = grade_id(cell) or f"cell {index + 1}"
            reports.extend(f"`{name}` {finding}" for finding in findings)
            if any(finding.kind == "files" for finding in findings):
                cell.outputs = []
        if first_flagged is None:
            return nb, resources

        summary = ("Integrity check: your code changes how it is graded, stops the kernel, "
                   "or reads files; tests after it score 0.")
        for cell in nb.cells[first_flagged + 1:]:
            if is_autograder_test(cell):
                cell.outputs = [new_output("error", ename="IntegrityError", evalue=summary,
                                           traceback=["\u2717 " + summary])]
        note = new_markdown_cell(
            "**Grading note (integrity check).** The code above was not graded normally because:\n\n"
            + "\n".join(f"- {line}" for line in reports[:20])
            + "\n\nEvery automatic test after this point scored 0. If this is a misunderstanding, "
              "talk to your instructor: the teaching assistant sees this note in formgrader.",
            metadata={"tags": [NOTE_MARKER]},
        )
        nb.cells.insert(first_flagged + 1, note)
        self.log.warning("Integrity findings for %s/%s: %s", resources.get("nbgrader", {}).get("student"),
                         resources.get("nbgrader", {}).get("notebook"), "; ".join(reports[:5]))
        return nb, resources
