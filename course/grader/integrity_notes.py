"""The integrity scan's notes for the grader (an nbgrader preprocessor after execution).

:class:`FlagTampering` scans every student code cell with :class:`course.grader.integrity.Scanner`
and notes what it finds (patched course machinery, a rebound name, an exit, file access)
after the cell, for the student and the teaching assistant in formgrader.  It zeroes
nothing: every test is judged outside the kernel (:mod:`course.grader.judging`), so such
code can at most change what a test reports.  Without the grading sandbox, from the first
cell that reads files on, student cells lose their outputs, so nothing they read reaches
the feedback.
"""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from course.grader.cells import is_autograder_test
from course.grader.integrity import ScanContext, Scanner
from course.sandbox.bubblewrap import GradingSandbox

__all__ = ["FlagTampering", "NOTE_MARKER"]

NOTE_MARKER = "grading-integrity-note"


def _instructor_sources(resources: dict) -> set[str] | None:
    """Sources of the instructor's locked cells (tests, given code) from the gradebook, or
    None when there is no gradebook entry (the notebook's own metadata is used then)."""
    info = resources.get("nbgrader", {})
    try:
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            return {cell.source for cell in notebook.source_cells if cell.locked}
    except (KeyError, MissingEntry):
        return None


def _is_instructor_cell(cell, instructor: set[str] | None) -> bool:
    if instructor is not None:
        return cell.source in instructor
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("locked")) and not meta.get("solution")


class FlagTampering(NbGraderPreprocessor):
    """Note what student code could reach in grading, for the teaching assistant; zero nothing.

    The verdict of every test is reached outside the kernel (course/grader/judging.py), so
    code that patches the course, rebinds a name or exits the kernel can at most change
    what a test reports: the scan's findings are notes, and points are lost only for what
    actually happened (a test whose report never arrived, a kernel that died).
    """

    def preprocess(self, nb, resources):
        instructor = _instructor_sources(resources)
        code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        tests = [(i, c) for i, c in code if is_autograder_test(c)]
        context = ScanContext.from_cells(
            [c.source for i, c in code if _is_instructor_cell(c, instructor) and not is_autograder_test(c)],
            [c.source for _, c in tests])
        scanner = Scanner(context)
        # In the sandbox a file read finds nothing of the course: not worth a finding.
        sandboxed = GradingSandbox(parent=self).enabled
        notes: list[tuple[int, list[str]]] = []
        withhold_from = None
        for index, cell in code:
            if is_autograder_test(cell) or _is_instructor_cell(cell, instructor):
                continue
            findings = [f for f in scanner.scan(cell.source) if not (sandboxed and f.kind == "files")]
            if not findings:
                continue
            lines = []
            for finding in findings:
                consequence = "no score depends on it"
                if finding.kind == "files":
                    consequence += "; what your cells print from here on is not shown in this feedback"
                    withhold_from = index if withhold_from is None else withhold_from
                lines.append(f"{finding} ({consequence})")
            notes.append((index, lines))
        if not notes:
            return nb, resources

        if withhold_from is not None:
            for index, cell in code:
                if index >= withhold_from and not is_autograder_test(cell) \
                        and not _is_instructor_cell(cell, instructor):
                    cell.outputs = []
        for index, lines in reversed(notes):
            nb.cells.insert(index + 1, new_markdown_cell(
                "**Grading note (Integrity check).** The code above reaches into the course's "
                "machinery. Tests are judged outside your notebook, so this takes no points off; "
                "your teaching assistant sees this note in formgrader:\n\n"
                + "\n".join(f"- {line}" for line in lines[:20]),
                metadata={"tags": [NOTE_MARKER]},
            ))
        info = resources.get("nbgrader", {})
        self.log.warning("Integrity findings for %s/%s: %s", info.get("student"), info.get("notebook"),
                         "; ".join(line for _, lines in notes for line in lines)[:500])
        return nb, resources

