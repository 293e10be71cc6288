"""What role a notebook cell plays for nbgrader, read from its metadata.

One place for the predicates the instructor tools, the nbgrader preprocessors and the
tests all need.  Built on :mod:`nbgrader.utils` where it has the predicate.
"""

from __future__ import annotations

from nbgrader.utils import is_grade, is_solution, is_task

__all__ = ["nbgrader_meta", "grade_id", "is_autograder_test", "is_code_answer", "by_grade_id", "points",
           "is_marked_by_hand"]


def nbgrader_meta(cell) -> dict:
    """The cell's ``nbgrader`` metadata, or an empty dict."""
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell) -> str | None:
    """The cell's grade_id, or None for a cell nbgrader does not track."""
    return nbgrader_meta(cell).get("grade_id")


def is_autograder_test(cell) -> bool:
    """A code cell whose outputs nbgrader scores (grade, not solution)."""
    return cell.cell_type == "code" and bool(is_grade(cell)) and not is_solution(cell)


def is_code_answer(cell) -> bool:
    """A code cell the student writes in (an autograded answer)."""
    return cell.cell_type == "code" and bool(is_solution(cell))


def by_grade_id(notebook, wanted: str):
    """The one cell of ``notebook`` with grade_id ``wanted``; ValueError if not exactly one."""
    matches = [cell for cell in notebook.cells if grade_id(cell) == wanted]
    if len(matches) != 1:
        raise ValueError(f"{len(matches)} cells have grade_id {wanted!r}")
    return matches[0]


def points(cell) -> float:
    """The points a graded cell or task is worth (0 for any other cell)."""
    return float(nbgrader_meta(cell).get("points") or 0)


def is_marked_by_hand(cell) -> bool:
    """A cell a person scores in formgrader: a task, or a graded cell that no test scores."""
    return bool(is_task(cell) or is_grade(cell)) and not is_autograder_test(cell)
