"""Defences against broken submissions, inside nbgrader's own autograde pipeline.

``nbgrader_config.py`` plugs three pieces into nbgrader's ``Autograde`` converter, so
``nbgrader autograde``, formgrader's *Autograde* button (the same converter, in
process) and ``make autograde`` all grade a broken submission the same way: it gets a
recorded grade (0 for what cannot be graded), a note at the top of the notebook that
the student reads in their feedback and the grader sees in formgrader, and the batch
goes on.  Nothing here writes to ``submitted/``: repairs happen on the copy nbgrader
holds in memory and writes to ``autograded/``.

- :func:`add_missing_notebooks` (``Autograde.pre_convert_hook``) puts every release
  notebook a student did not submit under its expected name into the list nbgrader is
  about to grade;
- :class:`SubmissionExporter` (``Autograde.exporter_class``) reads each notebook for
  both of nbgrader's passes: a file that is not a notebook (invalid JSON, not UTF-8,
  not nbformat) becomes the blank release notebook, a renamed copy (``…-Copy1.ipynb``)
  is used under the expected name, a notebook not handed in becomes the blank release
  notebook marked :data:`NOT_SUBMITTED_KEY` (not run: each of its tests scores 0, as
  in nbgrader, see :class:`course.sandbox.kernels.SandboxedExecute`), and a notebook on which
  nbgrader's preprocessors fail twice (the kernel dies: ``os._exit``, a crash, memory
  exhausted) is graded again as the blank release notebook;
- :class:`RepairGradedCells` (first of ``Autograde.sanitize_preprocessors``) puts
  back graded cells whose nbgrader metadata was stripped, turns later copies of a
  duplicated graded cell into ordinary cells, and re-inserts deleted graded cells
  unanswered (nbgrader's own ``DeduplicateIds`` and ``add_missing_cells`` leave such
  notebooks ungradable).

The blank used in place of an ungradable notebook is the release notebook, read from
``release/<assignment>/`` of the course root.  nbgrader converts with the course root
as working directory (``BaseConverter.start``), which is how these pieces find it
without being handed the course directory.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import sqlalchemy.exc
from nbconvert.exporters import NotebookExporter
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from course.grader.cells import grade_id, nbgrader_meta

__all__ = ["NOTE_TAG", "NOT_SUBMITTED_KEY", "grading_note", "read_notebook", "restore_graded_cells", "release_folder", "release_notebook",
           "add_missing_notebooks", "SubmissionExporter", "RepairGradedCells", "notes_in"]

NOTE_TAG = "grading-note"
# In the metadata of an autograded notebook the student did not hand in (True): every
# test of it scored 0 and it was not run.
NOT_SUBMITTED_KEY = "course_not_submitted"


def grading_note(text: str) -> nbformat.NotebookNode:
    """A markdown cell that tells the student what went wrong with their file."""
    return new_markdown_cell(f"**Grading note.** {text}", metadata={"tags": [NOTE_TAG]})


def notes_in(notebook: nbformat.NotebookNode) -> list[str]:
    """The texts of the grading notes in ``notebook`` (e.g. an autograded notebook)."""
    return [cell.source.removeprefix("**Grading note.** ") for cell in notebook.cells
            if NOTE_TAG in cell.get("metadata", {}).get("tags", [])]


def release_folder(assignment: str, root: Path | None = None) -> Path:
    """The folder of ``assignment``'s blank release notebooks.

    ``root`` is the course root; by default the working directory, which nbgrader sets
    to the course root while it converts.
    """
    return (root or Path.cwd()) / "release" / assignment


def release_notebook(assignment: str, notebook: str, root: Path | None = None) -> Path:
    """Path of the blank release notebook ``notebook`` (a stem) of ``assignment``."""
    return release_folder(assignment, root) / f"{notebook}.ipynb"


def blank_with_note(release: Path, text: str) -> nbformat.NotebookNode:
    """The blank release notebook at ``release`` with a grading note on top."""
    notebook = nbformat.read(release, as_version=4)
    notebook.cells.insert(0, grading_note(text))
    return notebook


def _grade_ids(notebook: nbformat.NotebookNode) -> set[str]:
    return {grade_id(cell) for cell in notebook.cells} - {None}


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook at ``path`` and '' if it is readable, else None and the reason in words."""
    try:
        text = path.read_bytes().decode("utf-8")
        json.loads(text)
    except UnicodeDecodeError:
        return None, "it is not a text file"
    except json.JSONDecodeError as error:
        return None, f"it is not valid JSON ({error.msg} at line {error.lineno})"
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several types for malformed files
        return None, f"it is not a readable notebook ({type(error).__name__}: {str(error)[:120]})"
    if not isinstance(notebook.get("cells"), list):
        return None, "it has no list of cells"
    return notebook, ""


def restore_graded_cells(notebook: nbformat.NotebookNode, release: nbformat.NotebookNode) -> list[str]:
    """Restore stripped metadata and re-insert deleted graded cells, in place.

    Returns the grade_ids restored or re-inserted (empty when nothing was wrong).
    """
    release_cells = [c for c in release.cells if grade_id(c)]
    order = [grade_id(c) for c in release_cells]
    changed: list[str] = []

    # 0. A duplicated graded cell: the first copy stays graded, later copies become
    #    ordinary cells (nbgrader's DeduplicateIds leaves metadata it then trips over).
    seen: set[str] = set()
    for cell in notebook.cells:
        gid = grade_id(cell)
        if gid is None and "nbgrader" in cell.get("metadata", {}):
            del cell.metadata["nbgrader"]
        elif gid in seen:
            del cell.metadata["nbgrader"]
            changed.append(f"{gid} (copy)")
        elif gid is not None:
            seen.add(gid)
    present = _grade_ids(notebook)

    # 1. Cells the student cannot edit are recognised by their source.
    fixed = {c.source: c for c in release_cells if not nbgrader_meta(c).get("solution")}
    for cell in notebook.cells:
        match = fixed.get(cell.source)
        if not nbgrader_meta(cell) and match is not None and cell.cell_type == match.cell_type \
                and grade_id(match) not in present:
            cell.metadata["nbgrader"] = copy.deepcopy(match.metadata["nbgrader"])
            present.add(grade_id(match))
            changed.append(grade_id(match))
    # 2. An answer cell is the unmarked cell just above the cell that follows it in the release.
    for position, release_cell in enumerate(release_cells[:-1]):
        gid = grade_id(release_cell)
        if not nbgrader_meta(release_cell).get("solution") or gid in present:
            continue
        follower = grade_id(release_cells[position + 1])
        indices = [i for i, c in enumerate(notebook.cells) if grade_id(c) == follower]
        if indices and indices[0] > 0:
            candidate = notebook.cells[indices[0] - 1]
            if not nbgrader_meta(candidate) and candidate.cell_type == release_cell.cell_type:
                candidate.metadata["nbgrader"] = copy.deepcopy(release_cell.metadata["nbgrader"])
                present.add(gid)
                changed.append(gid)
    # 3. Whatever is still missing goes back, unanswered, after its release predecessor.
    for position, release_cell in enumerate(release_cells):
        gid = order[position]
        if gid in present:
            continue
        insert_at = 0
        for previous in reversed(order[:position]):
            indices = [i for i, c in enumerate(notebook.cells) if grade_id(c) == previous]
            if indices:
                insert_at = indices[0] + 1
                break
        notebook.cells.insert(insert_at, copy.deepcopy(release_cell))
        present.add(gid)
        changed.append(gid)
    return changed


# --- the pieces nbgrader_config.py plugs in ------------------------------------------------


def add_missing_notebooks(assignment: str, student: str, notebooks: list[str]) -> None:
    """``Autograde.pre_convert_hook``: grade the release notebooks a student did not submit.

    ``notebooks`` is the list of one student's submitted notebook paths that nbgrader is
    about to grade; nbgrader passes its own list, so the paths appended here (under the
    expected names, which do not exist in ``submitted/``) are graded too and
    :class:`SubmissionExporter` supplies their content.  ``assignment`` and ``student``
    are nbgrader's patterns (``*`` for a batch), so the folder is read from the paths.
    """
    if not notebooks:
        return
    folder = Path(notebooks[0]).parent
    for expected in sorted(release_folder(folder.name).glob("*.ipynb")):
        if not (folder / expected.name).exists():
            notebooks.append(str(folder / expected.name))
    notebooks.sort()


def _explain_failure(name: str, error: Exception) -> str:
    """The student's note for a notebook nbgrader could not grade (no error text: it may quote hidden tests)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(error, DeadKernelError):
        why = "it stopped the grading kernel (a crash, `os._exit`, memory exhausted)"
    elif isinstance(error, CellTimeoutError):
        why = "the grading kernel stopped answering while it ran"
    else:
        why = f"grading failed on it ({type(error).__name__})"
    return (f"`{name}` could not be graded: {why}, so it was graded as the blank notebook; "
            "your file is kept unchanged for your instructor.")


class SubmissionExporter(NotebookExporter):
    """nbgrader's notebook exporter for ``Autograde``, which never gives up on a submission.

    nbgrader reads and converts every notebook twice (sanitize, then autograde) through
    this exporter.  A notebook that cannot be read or does not exist, or on which the
    preprocessors fail twice (the first failure may be a busy machine's), is replaced by
    the blank release notebook with a grading note and converted again; a failure of
    the blank too is the course's fault, not the student's, and is raised as nbgrader
    would.  Database errors always propagate.  The note never quotes the error, which
    may show a hidden test's source; nbgrader's log has it for the instructor.
    """

    def from_filename(self, filename, resources=None, **kw):
        path = Path(filename)
        notebook, problem = read_notebook(path) if path.exists() else (None, "")
        if notebook is not None:
            return super().from_filename(filename, resources, **kw)
        release = release_notebook(path.parent.name, path.stem)
        if path.exists():
            self.log.error("Unreadable submission %s: %s", path, problem)
            notebook = blank_with_note(release, (
                f"Your `{path.name}` could not be read: {problem}. It was graded as the blank "
                "notebook; your file is kept unchanged for your instructor."))
        else:
            notebook = self._renamed_copy(path, release)
        resources = resources if resources is not None else {}
        resources.setdefault("metadata", {}).update(name=path.stem, path=str(path.parent))
        return self.from_notebook_node(notebook, resources, **kw)

    def _renamed_copy(self, path: Path, release: Path) -> nbformat.NotebookNode:
        """The student's renamed copy of ``path`` (most graded cells in common) or the blank."""
        wanted = _grade_ids(nbformat.read(release, as_version=4))
        expected = {p.name for p in release.parent.glob("*.ipynb")}
        best, best_shared = None, 0
        for candidate in sorted(path.parent.glob("*.ipynb")):
            if candidate.name in expected:
                continue
            notebook, _ = read_notebook(candidate)
            shared = len(_grade_ids(notebook) & wanted) if notebook is not None else 0
            if shared > best_shared:
                best, best_shared = (candidate, notebook), shared
        if best is None:
            self.log.warning("Missing notebook %s: not handed in, every test scores 0", path)
            notebook = blank_with_note(release, f"`{path.name}` was missing from your submission, "
                                                "so each of its tests scores 0.")
            notebook.metadata[NOT_SUBMITTED_KEY] = True
            return notebook
        original, notebook = best
        self.log.warning("Grading %s as %s", original, path)
        notebook.cells.insert(0, grading_note(f"`{original.name}` was graded as `{path.name}` "
                                              "(the notebook was renamed)."))
        return notebook

    def from_notebook_node(self, nb, resources=None, **kw):
        info = (resources or {}).get("nbgrader", {})
        release = release_notebook(info.get("assignment", ""), info.get("notebook", ""))
        if not info.get("notebook") or not release.exists():
            return super().from_notebook_node(nb, resources, **kw)
        # A second try first: a loaded machine can make a kernel miss a deadline once.
        for attempt in (1, 2):
            try:
                return super().from_notebook_node(nb, resources, **kw)
            except sqlalchemy.exc.SQLAlchemyError:
                raise
            except Exception as error:  # whatever the student's notebook made nbgrader fail with
                self.log.error("Grading %s of %s failed on attempt %d: %s: %s", release.name,
                               info.get("student"), attempt, type(error).__name__, error)
                failure = error
        return super().from_notebook_node(blank_with_note(release, _explain_failure(release.name, failure)),
                                          resources, **kw)


class RepairGradedCells(NbGraderPreprocessor):
    """Sanitize step: restore graded cells (stripped metadata, duplicates, deletions).

    Runs before nbgrader's ``DeduplicateIds`` and ``OverwriteCells``; the release
    notebook is the reference, so a notebook it does not know is left as it is.
    """

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        release = release_notebook(info.get("assignment", ""), info.get("notebook", ""))
        if not release.exists():
            return nb, resources
        restored = restore_graded_cells(nb, nbformat.read(release, as_version=4))
        if restored:
            name = f"{info['notebook']}.ipynb"
            listed = ", ".join(restored[:8]) + (", …" if len(restored) > 8 else "")
            nb.cells.insert(0, grading_note(
                f"In `{name}`, graded cells had been deleted, duplicated or had lost their metadata; "
                f"they were restored ({listed}). Restored answer cells count as unanswered."))
            self.log.warning("Restored graded cells of %s for %s: %s", name, info.get("student"), listed)
        return nb, resources
