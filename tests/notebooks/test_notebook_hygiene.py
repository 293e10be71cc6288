"""Committed notebooks are clean, consistently marked up, and leak nothing to students."""

from __future__ import annotations

import re

import pytest

from course.grader.cells import grade_id, is_autograder_test, is_code_answer, nbgrader_meta
from conftest import NOTEBOOK_NAMES, RELEASE_DIR, SOURCE_DIR, read, release_notebooks, source_notebooks

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
ALL = [*source_notebooks(), *release_notebooks()]
IDS = [f"{p.parent.parent.name}/{p.stem}" for p in ALL]
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


meta = nbgrader_meta


def test_every_notebook_present():
    for folder in (SOURCE_DIR, RELEASE_DIR):
        assert sorted(p.stem for p in folder.glob("*.ipynb")) == sorted(NOTEBOOK_NAMES), folder
    assert sorted(p.name for p in SOURCE_DIR.iterdir() if not p.name.startswith(".")) == \
        sorted(f"{name}.ipynb" for name in NOTEBOOK_NAMES), "source/ holds only the notebooks"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_no_outputs_or_execution_counts(path):
    for index, cell in enumerate(read(path).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs"
            assert cell.execution_count is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_fixed_kernelspec_and_valid_format(path):
    import nbformat

    notebook = read(path)
    nbformat.validate(notebook)
    assert dict(notebook.metadata.kernelspec) == KERNELSPEC
    assert notebook.metadata.get("language_info", {}).get("name", "python") == "python"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_grade_ids_unique_and_points_sane(path):
    seen = set()
    for cell in read(path).cells:
        m = meta(cell)
        if not m:
            continue
        assert m.get("schema_version") == 3
        grade_id = m.get("grade_id")
        assert grade_id and re.fullmatch(r"[A-Za-z0-9_\-]+", grade_id), grade_id
        assert grade_id not in seen, f"duplicate grade_id {grade_id}"
        seen.add(grade_id)
        if m.get("grade") or m.get("task"):
            assert float(m.get("points", 0)) > 0, f"{grade_id} is graded but worth no points"
        if cell.cell_type == "code" and m.get("solution"):
            assert not m.get("grade"), f"{grade_id}: a graded code answer cell is graded by hand"


def test_grade_ids_unique_across_the_assignment():
    ids = [grade_id(c) for p in source_notebooks() for c in read(p).cells if grade_id(c)]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda p: p.stem)
def test_every_autograded_answer_has_a_test(path):
    cells = read(path).cells
    answers = [i for i, c in enumerate(cells) if is_code_answer(c)]
    assert answers, "no autograded answer cells"
    tests = [i for i, c in enumerate(cells) if is_autograder_test(c)]
    for index in answers:
        # Each answer is tested by a test cell that comes after it in the notebook.
        assert any(t > index for t in tests), f"answer cell {grade_id(cells[index])} has no test"


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda p: p.stem)
def test_hidden_tests_and_solutions_are_delimited(path):
    for cell in read(path).cells:
        m = meta(cell)
        if "BEGIN HIDDEN TESTS" in cell.source:
            assert m.get("grade") and not m.get("solution") and m.get("locked"), m.get("grade_id")
        if m.get("solution") and cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source, f"{m['grade_id']}: solution not delimited"


@pytest.mark.parametrize("path", release_notebooks(), ids=lambda p: p.stem)
def test_release_leaks_nothing(path):
    text = path.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                   "BEGIN MARK SCHEME", "END MARK SCHEME"):
        assert marker not in text, marker
    # No line of any solution region may survive into the release notebook's code,
    # unless the instructor also gives it outside a solution region (an instruction
    # such as "call plot_gradient_flow(sigmoid_norms, relu_norms)").
    released = "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "code")
    source_cells = read(SOURCE_DIR / path.name).cells
    given = "\n".join(SOLUTION_REGION.sub("", cell.source) for cell in source_cells)
    for cell in source_cells:
        for region in SOLUTION_REGION.findall(cell.source):
            for line in region.splitlines():
                line = line.strip()
                if len(line) >= 12 and not line.startswith("#") and line not in given:
                    assert line not in released, f"solution line leaked: {line!r}"
