"""Prepare submissions for grading without ever touching ``submitted/``.

nbgrader reads submissions in place and gives up on a student whose notebook it
cannot read.  :func:`stage_submissions` copies ``submitted/`` to ``.grading/submitted``
and repairs what can be repaired there, leaving a note at the top of the notebook
that the student will read in their feedback:

- a notebook that is not valid JSON / nbformat → graded as the blank release notebook;
- a notebook saved under another name → used under the expected name;
- a notebook missing altogether → graded as blank;
- graded cells whose nbgrader metadata was stripped → metadata restored by matching
  the instructor's cells (nbgrader would otherwise not find the answers);
- graded cells duplicated → later copies graded as ordinary cells;
- graded cells deleted → put back from the release notebook, unanswered (nbgrader's own
  ``add_missing_cells`` fails when an answer cell and its test are both gone).

:func:`replace_with_blank` is used later for a notebook that crashes the kernel.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

from ..cells import grade_id, nbgrader_meta

__all__ = ["STAGING", "stage_submissions", "replace_with_blank", "restore_graded_cells", "grading_note"]

STAGING = Path(".grading") / "submitted"
NOTE_TAG = "grading-note"


def grading_note(text: str) -> nbformat.NotebookNode:
    """A markdown cell that tells the student what went wrong with their file."""
    return new_markdown_cell(f"**Grading note.** {text}", metadata={"tags": [NOTE_TAG]})


def _blank_with_note(release_notebook: Path, text: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(release_notebook, as_version=4)
    notebook.cells.insert(0, grading_note(text))
    return notebook


def _grade_ids(notebook: nbformat.NotebookNode) -> set[str]:
    return {grade_id(cell) for cell in notebook.cells} - {None}


def _read(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook at ``path`` and '' if it is readable, else None and the reason."""
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


def replace_with_blank(staged: Path, release_notebook: Path, reason: str) -> None:
    """Replace a staged notebook by the blank release version with a note giving ``reason``."""
    nbformat.write(_blank_with_note(release_notebook, reason), staged)


def stage_submissions(root: Path, assignment: str) -> dict[str, list[str]]:
    """Copy and repair every submission; returns the notes written, by student.

    ``root/.grading/submitted`` is replaced wholesale; ``root/submitted`` is only read.
    """
    release = root / "release" / assignment
    expected = sorted(p.name for p in release.glob("*.ipynb"))
    release_ids = {name: _grade_ids(nbformat.read(release / name, as_version=4)) for name in expected}
    staging_root = root / STAGING
    if staging_root.exists():
        shutil.rmtree(staging_root)
    notes: dict[str, list[str]] = {}
    for folder in sorted((root / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        target = staging_root / student / assignment
        shutil.copytree(folder, target, symlinks=False)
        student_notes = notes.setdefault(student, [])
        readable, unexpected = {}, {}
        for path in sorted(target.glob("*.ipynb")):
            notebook, problem = _read(path)
            if notebook is None:
                if path.name in expected:
                    text = (f"Your `{path.name}` could not be read: {problem}. It was graded as the blank "
                            "notebook; your file is kept unchanged for your instructor.")
                    replace_with_blank(path, release / path.name, text)
                    student_notes.append(text)
                    readable[path.name] = True
                else:
                    path.unlink()
                continue
            if path.name in expected:
                readable[path.name] = True
                restored = restore_graded_cells(notebook, nbformat.read(release / path.name, as_version=4))
                if restored:
                    text = (f"In `{path.name}`, graded cells had been deleted, duplicated or had lost their "
                            f"metadata; they were restored ({', '.join(restored[:8])}{', …' if len(restored) > 8 else ''}). "
                            "Restored answer cells count as unanswered.")
                    notebook.cells.insert(0, grading_note(text))
                    nbformat.write(notebook, path)
                    student_notes.append(text)
            else:
                unexpected[path.name] = notebook
                path.unlink()
        for name in expected:
            if name in readable:
                continue
            # A renamed copy ("02_code_verification-Copy1.ipynb"): the unexpected
            # notebook that shares most graded cells with the expected one.
            best = max(unexpected.items(), key=lambda item: len(_grade_ids(item[1]) & release_ids[name]),
                       default=None)
            if best and _grade_ids(best[1]) & release_ids[name]:
                original, notebook = best
                del unexpected[original]
                text = f"`{original}` was graded as `{name}` (the notebook was renamed)."
                notebook.cells.insert(0, grading_note(text))
                nbformat.write(notebook, target / name)
            else:
                text = f"`{name}` was missing from your submission; it was graded as blank."
                replace_with_blank(target / name, release / name, text)
            student_notes.append(text)
    return notes
