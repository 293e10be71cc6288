"""Tampering and broken submissions, graded as real nbgrader batches (two workers each).

Every case of tests/support/robustness_cases.py must get its outcome; each batch must finish,
leave ``submitted/`` byte-identical, and leak no hidden test into any feedback page.
Notebook 1 carries the broken-file cases (it needs no TensorFlow, so they are cheap);
notebook 2 the cases that attack the TensorFlow comparison.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENT, copy_generated_course, folder_checksums, hidden_test_lines, read, visible_text
from course.grader.cells import grade_id, is_code_answer
from course.instructor.autograde import autograde
from course.instructor.nbgrader_cli import grade_table, nbgrader
from course.instructor.synthetic import autograded_points, blank_submission, full_submission
from support.robustness_cases import Case, paper_cases, verification_cases, write_submissions

pytestmark = pytest.mark.nbgrader
PAPER, VERIFICATION = "01_paper_calculation", "02_code_verification"


def cases_for(notebook: str, source: Path) -> list[Case]:
    if notebook == PAPER:
        return paper_cases(f"{PAPER}.ipynb", tuple(grade_id(c) for c in read(source).cells if is_code_answer(c)))
    tests = tuple(t for t in autograded_points(source) if t.startswith("test_backward_"))
    return verification_cases(f"{VERIFICATION}.ipynb", tests)


def _grade(generated_course: Path, base: Path, notebook: str) -> dict:
    root = copy_generated_course(generated_course, base / "course", notebooks=(notebook,))
    source = root / "source" / ASSIGNMENT / f"{notebook}.ipynb"
    release = root / "release" / ASSIGNMENT / f"{notebook}.ipynb"
    full, blank = full_submission(source, release), blank_submission(release)
    cases = cases_for(notebook, source)
    honest = Case("honest", lambda f, b: {f"{notebook}.ipynb": nbformat.writes(f).encode()}, ())
    write_submissions(root / "submitted", ASSIGNMENT, [*cases, honest], full, blank)
    before = folder_checksums(root / "submitted")
    with pytest.MonkeyPatch.context() as patch:
        if notebook == PAPER:  # the endless loop costs 10 s, not 2 min; notebook 2's TensorFlow
            patch.setenv("NBGRADER_CELL_TIMEOUT", "10")  # import can take longer on a busy machine
        autograde(root, ASSIGNMENT, jobs=2)
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    scores = {row.student: row for row in grade_table(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)}
    return {"root": root, "source": source, "cases": cases, "scores": scores, "before": before,
            "points": autograded_points(source)}


@pytest.fixture(scope="module")
def batches(generated_course, tmp_path_factory):
    """notebook -> its graded batch, graded on first use (so `-k` can pick one notebook)."""
    graded = {}

    def batch(notebook: str) -> dict:
        if notebook not in graded:
            graded[notebook] = _grade(generated_course, tmp_path_factory.mktemp(notebook), notebook)
        return graded[notebook]
    return batch


def _case_ids():
    ids = []
    for notebook in (PAPER, VERIFICATION):
        path = Path(__file__).resolve().parents[2] / "source" / ASSIGNMENT / f"{notebook}.ipynb"
        ids += [(notebook, i, case.student) for i, case in enumerate(cases_for(notebook, path))]
    return ids


@pytest.mark.parametrize("notebook", [PAPER, VERIFICATION])
def test_batch_grades_every_student_and_honest_full_marks(batches, notebook):
    batch = batches(notebook)
    assert sorted(batch["scores"]) == sorted([c.student for c in batch["cases"]] + ["honest"])
    assert batch["scores"]["honest"].code_score == sum(batch["points"].values())


@pytest.mark.parametrize("notebook", [PAPER, VERIFICATION])
def test_submitted_is_byte_identical(batches, notebook):
    batch = batches(notebook)
    assert folder_checksums(batch["root"] / "submitted") == batch["before"]


@pytest.mark.parametrize("notebook, index, student", _case_ids(), ids=[c[2] for c in _case_ids()])
def test_case_gets_its_outcome(batches, notebook, index, student):
    batch = batches(notebook)
    case = batch["cases"][index]
    points = batch["points"]
    expected = 0.0 if case.lost_tests is None else sum(points.values()) - sum(points[t] for t in case.lost_tests)
    got = batch["scores"][case.student].code_score
    assert got == pytest.approx(expected), f"{case.student} ({case.why}): {got} points, expected {expected}"
    pages = sorted((batch["root"] / "feedback" / case.student / ASSIGNMENT).glob("*.html"))
    assert pages, f"{case.student} has no feedback page"
    text = visible_text(pages[0])
    for phrase in case.feedback:
        assert phrase in text, f"{case.student}: feedback lacks {phrase!r}"


@pytest.mark.parametrize("notebook", [PAPER, VERIFICATION])
def test_no_feedback_leaks_hidden_tests(batches, notebook):
    batch = batches(notebook)
    hidden = hidden_test_lines(batch["source"])
    assert hidden
    for page in sorted((batch["root"] / "feedback").rglob("*.html")):
        text = visible_text(page)
        assert "BEGIN HIDDEN TESTS" not in text, page
        for line in hidden:
            assert line not in text, f"{page} leaks {line!r}"
        assert page.stat().st_size < 3_000_000, f"{page} is {page.stat().st_size} bytes"
