"""nbgrader preprocessors of this course, configured in ``nbgrader_config.py``.

:class:`FlagTampering` runs in the nbgrader process after the notebook has executed
and before the scores are saved, so nothing a student's code does in the kernel can
reach it.  It scans every student code cell with :class:`course.grader.integrity.Scanner` and
notes what it finds (patched course machinery, a rebound name, an exit, file access)
after the cell, for the student and the teaching assistant in formgrader.  It zeroes
nothing: every test is judged outside the kernel (:mod:`course.grader.judging`), so
such code can at most change what a test reports.

File access is judged by what it could read.  In the grading sandbox
(:mod:`course.sandbox.bubblewrap`, on unless the instructor switched it off) nothing of
the course is readable, so a cell that opens files is simply run and shown like any
other.  Without the sandbox, from the first cell that reads files or runs a shell on,
student cells lose their outputs, so nothing they read (hidden tests in the gradebook,
for example) reaches the feedback, and the note says so.
"""

from __future__ import annotations

import json
import traceback

from nbformat import NotebookNode
from nbgrader.api import BaseCell, Comment, Grade, Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, NbGraderPreprocessor,
                                   OverwriteCells, SaveAutoGrades)
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from course.grader.cells import grade_id

__all__ = ["CheckCellMetadataOnce", "OverwriteCellsAtOnce", "SaveAutoGradesAtOnce"]



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
    notebook's source and graded cells read in three queries, not two per cell, and
    no tampering alarm for a locked cell the student did not touch.

    nbgrader's lookups (``find_source_cell``, ``find_graded_cell``) are answered from
    what was read; everything else it asks the gradebook is asked as usual.

    The gradebook keeps a locked cell as the instructor wrote it, hidden tests and mark
    scheme included, and its checksum; the student received the cell without them.
    nbgrader puts the full text back by noticing that the checksum differs, and logs
    "Attribute 'checksum' for cell … has changed!" for every such cell of every
    untouched notebook (jupyter/nbgrader#1961), which reads as tampering.  Here a cell
    whose text is exactly what the student was given gets the full text back first,
    so nbgrader's check finds nothing to report; a cell changed in any other way is
    reported and repaired by nbgrader as before.
    """

    _clearers: tuple[ClearHiddenTests, ClearMarkScheme] | None = None

    def preprocess_cell(self, cell, resources, cell_index):
        name = grade_id(cell)
        try:
            source_cell = self.gradebook.find_source_cell(name, self.notebook_id, self.assignment_id)
        except MissingEntry:
            source_cell = None   # nbgrader's own code below says so
        if source_cell is not None and source_cell.locked and cell.source != source_cell.source \
                and cell.source == self._as_released(source_cell.source):
            self.log.debug("Cell %s: hidden tests or mark scheme put back", name)
            cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)

    def _as_released(self, source: str) -> str:
        """``source`` as generate_assignment released it: hidden tests and mark scheme removed
        by nbgrader's own preprocessors (with their configured delimiters)."""
        if self._clearers is None:
            self._clearers = (ClearHiddenTests(parent=self), ClearMarkScheme(parent=self))
        hidden_tests, mark_scheme = self._clearers
        cell = NotebookNode(source=source)
        hidden_tests._remove_hidden_test_region(cell)
        mark_scheme._remove_mark_scheme_region(cell)
        return cell.source

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


