"""Correct solutions written in outside styles earn every autograded point.

The corpus (tests/support/outside_styles/, read by tests/support/outside_style_corpus.py) holds correct
notebook-2 and notebook-3 solutions in conventions students bring from textbooks, courses
and tutorials, plus harmless real-world code (notebook headers, compatibility shims,
pasted modules with unused file I/O).  All of them are graded in ONE real nbgrader batch
(``course.instructor.autograde``, two workers) in a temporary course: student ``sNN``
submits the NN-th notebook-2 style and the NN-th notebook-3 style.  Scores are read
through nbgrader's Gradebook API; every style must score the notebook's full autograded
points, and harmless code must get a note but cost nothing.
"""

from __future__ import annotations

import nbformat
import pytest

from conftest import ASSIGNMENT, copy_generated_course
from course.grader.cells import grade_id, is_autograder_test
from course.instructor.autograde import autograde
from course.instructor.nbgrader_cli import gradebook_url
from course.instructor.synthetic import autograded_points, full_submission, write_submission
from course.grader.integrity_notes import NOTE_MARKER
from support.outside_style_corpus import NOTEBOOKS, Style, apply_style, load_styles

pytestmark = pytest.mark.nbgrader
STYLES = load_styles()


def _students() -> dict[str, dict[str, Style]]:
    """Student id -> {notebook: style}: the i-th style of each notebook share a student."""
    groups = [[s for s in STYLES if s.notebook == notebook] for notebook in NOTEBOOKS.values()]
    return {f"s{i:02d}": {group[i].notebook: group[i] for group in groups if i < len(group)}
            for i in range(max(map(len, groups)))}


@pytest.fixture(scope="module")
def graded(generated_course, tmp_path_factory):
    from nbgrader.api import Gradebook

    root = copy_generated_course(generated_course, tmp_path_factory.mktemp("styles") / "course",
                                 notebooks=tuple(NOTEBOOKS.values()))
    full, points = {}, {}
    for notebook in NOTEBOOKS.values():
        source = root / "source" / ASSIGNMENT / f"{notebook}.ipynb"
        full[notebook] = full_submission(source, root / "release" / ASSIGNMENT / f"{notebook}.ipynb")
        points[notebook] = autograded_points(source)
    students = _students()
    for student, styles in students.items():
        write_submission(root / "submitted", student, ASSIGNMENT,
                         {notebook: apply_style(style, full[notebook]) for notebook, style in styles.items()})
    run = autograde(root, ASSIGNMENT, jobs=2)

    results = {}
    with Gradebook(gradebook_url(root)) as gradebook:
        for student, styles in students.items():
            for notebook, style in styles.items():
                submission = gradebook.find_submission_notebook(notebook, ASSIGNMENT, student)
                scores = {g.name: g.score for g in submission.grades if g.name in points[notebook]}
                path = root / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb"
                results[style.label] = {"scores": scores, "points": points[notebook],
                                        "graded": nbformat.read(path, as_version=4)}
    print(f"\noutside-style corpus: {len(students)} students, {len(results)} styles, "
          f"autograde {run.seconds:.0f} s (2 workers)")
    for style in STYLES:
        result = results[style.label]
        print(f"  {style.label:28s} {sum(result['scores'].values()):5.1f} / {sum(result['points'].values()):4.1f}"
              f"   {style.imitates}")
    return results


def _failures(result) -> dict[str, str]:
    """Lost tests and what their output says (the first line of the error)."""
    messages = {}
    for cell in result["graded"].cells:
        name = grade_id(cell)
        if is_autograder_test(cell) and result["scores"].get(name, 0) < result["points"][name]:
            errors = [o for o in cell.outputs if o.output_type == "error"]
            messages[name] = (errors[0].evalue if errors else "no output")[:300]
    return messages


def test_the_corpus_covers_every_function_in_many_styles():
    assert len(STYLES) >= 20
    written = {target for style in STYLES for target, _ in style.cells}
    assert written >= {"sigmoid_solution", "forward_pass_solution", "bce_solution", "backward_pass_solution",
                       "deep_forward_code", "deep_backward_code", "analyze_gradient_flow_code",
                       "gradient_after_10_layers_answer", "new cell at top"}


@pytest.mark.parametrize("label", [s.label for s in STYLES])
def test_correct_code_in_an_outside_style_earns_every_point(graded, label):
    result = graded[label]
    assert sum(result["scores"].values()) == sum(result["points"].values()), _failures(result)


def _notes(graded, label) -> list[str]:
    return [c.source for c in graded[label]["graded"].cells if NOTE_MARKER in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("label, found", [
    ("nb2_harmless_header", "compatibility shim"),
    ("nb3_pasted_module", "compatibility shim"),
])
def test_harmless_code_gets_a_note_and_no_penalty(graded, label, found):
    notes = _notes(graded, label)
    assert any(found in note for note in notes), notes
    assert all("scored 0" not in note for note in notes), notes


@pytest.mark.parametrize("label", ["nb2_pasted_module", "nb3_pasted_module"])
def test_unused_file_io_is_not_even_a_finding_in_the_sandbox(graded, label):
    # The grading sandbox (on by default) shows the kernel nothing of the course, so a
    # pasted module's save/load with open() is judged by what it could read: nothing.
    notes = _notes(graded, label)
    assert all("open(" not in note and "scored 0" not in note for note in notes), notes
