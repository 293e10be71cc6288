"""``course.grader.gradebook.CheckCellMetadataOnce`` gives nbgrader's ``CheckCellMetadata``
verdict on every notebook, including the second time it sees a cell.

The grading configuration uses it in place of nbgrader's check (which re-checks its
JSON schema for every cell); a corrupted cell must still stop grading, however many
valid copies of similar cells the process has seen.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata

from course.grader.cells import grade_id
from course.grader.gradebook import CheckCellMetadataOnce

SOURCE = Path(__file__).resolve().parents[2] / "source" / "ex01_backprop"


def _notebook() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE / "01_paper_calculation.ipynb", as_version=4)


def _first(notebook, predicate):
    return next(cell for cell in notebook.cells if predicate(cell.metadata.get("nbgrader", {}), cell))


# Each corrupts one cell of notebook 1 the way a hand-edited or broken submission might.
CORRUPTIONS = {
    "points_not_a_number": lambda nb: _first(nb, lambda m, c: m.get("grade"))
    .metadata.nbgrader.__setitem__("points", "two"),
    "grade_cell_without_points": lambda nb: _first(nb, lambda m, c: m.get("grade"))
    .metadata.nbgrader.pop("points"),
    "empty_grade_id": lambda nb: _first(nb, lambda m, c: m.get("solution"))
    .metadata.nbgrader.__setitem__("grade_id", ""),
    "old_schema_version": lambda nb: _first(nb, lambda m, c: m.get("locked"))
    .metadata.nbgrader.__setitem__("schema_version", 1),
    "markdown_solution_not_graded": lambda nb: _markdown_solution(nb),
    "unknown_key": lambda nb: _first(nb, lambda m, c: m.get("solution"))
    .metadata.nbgrader.__setitem__("colour", "red"),
}


def _markdown_solution(notebook) -> None:
    cell = _first(notebook, lambda m, c: c.cell_type == "markdown" and not m)
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "md_answer",
                                 "schema_version": 3}


def _verdict(preprocessor, notebook) -> str:
    try:
        preprocessor.preprocess(copy.deepcopy(notebook), {})
    except Exception as error:  # noqa: BLE001 - nbgrader raises schema-version errors as they are
        return f"invalid: {type(error).__name__}: {error}"
    return "valid"


def test_a_valid_notebook_is_valid_every_time():
    notebook = _notebook()
    assert _verdict(CheckCellMetadata(), notebook) == "valid"
    assert [_verdict(CheckCellMetadataOnce(), notebook) for _ in range(3)] == ["valid"] * 3


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupted_cell_fails_as_with_nbgrader_even_after_valid_ones(corruption):
    valid = _notebook()
    CheckCellMetadataOnce().preprocess(copy.deepcopy(valid), {})   # every valid cell now remembered
    broken = _notebook()
    CORRUPTIONS[corruption](broken)
    expected = _verdict(CheckCellMetadata(), broken)
    assert expected.startswith("invalid")
    assert _verdict(CheckCellMetadataOnce(), broken) == expected


def test_a_cell_whose_type_changed_is_warned_about_every_time(caplog):
    notebook = _notebook()
    cell = _first(notebook, lambda m, c: m.get("solution") and c.cell_type == "code")
    cell.metadata.nbgrader["cell_type"] = "markdown"   # recorded type differs from the cell's
    for _ in range(2):
        caplog.clear()
        CheckCellMetadataOnce().preprocess(copy.deepcopy(notebook), {})
        assert any("Cell type has changed" in record.getMessage() for record in caplog.records), grade_id(cell)
