"""Prepare submissions for grading without ever touching ``submitted/``.

nbgrader reads submissions in place and gives up on a student whose notebook it
cannot read.  :func:`stage_submissions` copies ``submitted/`` to ``.grading/submitted``
and repairs what can be repaired there, leaving a note at the top of the notebook
that the student will read in their feedback:

- a notebook that is not valid JSON / nbformat → graded as the blank release notebook;
- a notebook saved under another name → used under the expected name;
- a notebook missing altogether → graded as blank.

:func:`replace_with_blank` is used later for a notebook that crashes the kernel.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

__all__ = ["STAGING", "stage_submissions", "replace_with_blank", "grading_note"]

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
    return {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells} - {None}


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
