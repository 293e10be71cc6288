"""nbgrader preprocessors of this course, configured in ``nbgrader_config.py``.

:class:`FlagTampering` runs in the nbgrader process after the notebook has executed
and before the scores are saved, so nothing a student's code does in the kernel can
reach it.  It scans every student code cell with :class:`course.integrity.Scanner` and
notes what it finds (patched course machinery, a rebound name, an exit, file access)
after the cell, for the student and the teaching assistant in formgrader.  It zeroes
nothing: every test is judged outside the kernel (:mod:`course.grader.judging`), so
such code can at most change what a test reports.

File access is judged by what it could read.  In the grading sandbox
(:mod:`course.grading_sandbox`, on unless the instructor switched it off) nothing of
the course is readable, so a cell that opens files is simply run and shown like any
other.  Without the sandbox, from the first cell that reads files or runs a shell on,
student cells lose their outputs, so nothing they read (hidden tests in the gradebook,
for example) reaches the feedback, and the note says so.
"""

from __future__ import annotations

import json
import traceback

from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.api import BaseCell, Comment, Grade, Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import CheckCellMetadata, NbGraderPreprocessor, OverwriteCells, SaveAutoGrades
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from traitlets import Integer

from .cells import grade_id, is_autograder_test
from .grading_sandbox import GradingSandbox
from .integrity import ScanContext, Scanner

__all__ = ["CheckCellMetadataOnce", "FlagTampering", "LimitOutputSize", "OverwriteCellsAtOnce", "SaveAutoGradesAtOnce",
           "NOTE_MARKER"]

NOTE_MARKER = "grading-integrity-note"


class _RememberingValidator(MetadataValidator):
    """nbgrader's metadata validator, remembering the cells it found valid.

    nbgrader checks its JSON schema against the schema standard before every cell
    (``jsonschema.validate``): nine tenths of the check's time, twice per notebook.  A
    cell's verdict depends on its type and its nbgrader metadata alone (the source only
    appears in error messages), and those repeat in every submission, so a verdict of
    "valid" is kept for the process, keyed by both.  A cell whose recorded type changed
    is checked every time, so nbgrader's warning about it is never skipped.
    """

    valid: set[str] = set()

    def validate_cell(self, cell) -> None:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            return super().validate_cell(cell)
        key = cell.cell_type + json.dumps(meta, sort_keys=True)
        if key in self.valid:
            return None
        super().validate_cell(cell)
        if meta.get("cell_type", cell.cell_type) == cell.cell_type:
            self.valid.add(key)
        return None


class CheckCellMetadataOnce(CheckCellMetadata):
    """nbgrader's ``CheckCellMetadata`` (same verdicts, errors and log), with each distinct
    cell's metadata checked once per process (:class:`_RememberingValidator`)."""

    def preprocess(self, nb, resources):
        try:
            _RememberingValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            message = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(message)
            raise ValidationError(message) from None
        return nb, resources


class _FlushOnCommit(Session):
    """A gradebook session whose ``commit`` only sends the changes to the database."""

    def commit(self) -> None:
        self.flush()


def _lookup(rows: dict, what: str):
    """A ``Gradebook.find_*`` method for one notebook answering from ``rows`` (cell name →
    row) instead of a query per call; ``MissingEntry`` as nbgrader raises it."""
    def find(name, *where):
        if name not in rows:
            raise MissingEntry(f"No such {what}: {'/'.join(map(str, reversed(where)))}/{name}")
        return rows[name]
    return find


class OverwriteCellsAtOnce(OverwriteCells):
    """nbgrader's ``OverwriteCells`` (its checks and repairs, by its own code) with the
    notebook's source and graded cells read in three queries, not two per cell.

    nbgrader's lookups (``find_source_cell``, ``find_graded_cell``) are answered from
    what was read; everything else it asks the gradebook is asked as usual.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id, self.db_url = info["notebook"], info["assignment"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            notebook = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
            graded = {cell.name: cell for cell in notebook.task_cells}
            graded.update({cell.name: cell for cell in notebook.grade_cells})   # a grade cell first, as nbgrader
            self.gradebook.find_source_cell = _lookup({c.name: c for c in notebook.source_cells}, "source cell")
            self.gradebook.find_graded_cell = _lookup(graded, "grade cell")
            # As OverwriteCells.preprocess: nbconvert's loop over the cells, then the missing ones.
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            if self.add_missing_cells:
                nb, resources = self.add_missing_grade_cells(nb, resources)
                nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` (its scores, comments and review flags, by its own
    code), saved in one transaction per notebook instead of one per graded cell.

    nbgrader looks up each cell's grade or comment with a query of its own and commits
    after each cell; every commit waits for the disk and makes SQLAlchemy reload what it
    holds.  On notebook 1 (thirty graded and answer cells) that was a tenth of its
    grading.  Here the notebook's grades and comments are read in two queries before
    the cells are processed, nbgrader's per-cell commits only flush, and the grades are
    committed together once every cell is done: all of them or, if grading stops
    half-way, none.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            self.gradebook.db.remove()
            session = self.gradebook.db = scoped_session(sessionmaker(class_=_FlushOnCommit, autoflush=True,
                                                                      bind=self.gradebook.engine))
            submitted = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id,
                                                                self.student_id)
            for kind, method in ((Grade, "find_grade"), (Comment, "find_comment")):
                rows = session.query(kind, BaseCell.name).join(BaseCell, kind.cell_id == BaseCell.id) \
                    .filter(kind.notebook_id == submitted.id)
                setattr(self.gradebook, method, _lookup({name: row for row, name in rows}, kind.__name__.lower()))
            # nbconvert's loop over the cells, which calls SaveAutoGrades.preprocess_cell
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            Session.commit(session())
        return nb, resources


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

