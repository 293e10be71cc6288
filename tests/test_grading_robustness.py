"""Tampering and broken submissions, graded as one real nbgrader batch (two workers).

Every case of tests/robustness_cases.py must get its outcome; the batch must finish,
leave ``submitted/`` byte-identical, and leak no hidden test into any feedback page.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pytest

from conftest import ASSIGNMENT, make_course_copy, read
from course.instructor.autograde import autograde
from course.instructor.nbgrader_cli import grade_table, nbgrader
from course.instructor.synthetic import autograded_points, blank_submission, full_submission
from robustness_cases import Case, paper_cases

pytestmark = pytest.mark.nbgrader
PAPER = "01_paper_calculation"


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _visible_text(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def _cases(root: Path) -> list[Case]:
    answers = tuple(c.metadata["nbgrader"]["grade_id"] for c in read(root / "source" / ASSIGNMENT / f"{PAPER}.ipynb").cells
                    if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    return paper_cases(f"{PAPER}.ipynb", answers)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = make_course_copy(tmp_path_factory.mktemp("robust") / "course", notebooks=(PAPER,))
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    source = root / "source" / ASSIGNMENT / f"{PAPER}.ipynb"
    release = root / "release" / ASSIGNMENT / f"{PAPER}.ipynb"
    full, blank = full_submission(source, release), blank_submission(release)
    cases = _cases(root)
    for case in [*cases, Case("honest", lambda f, b: {f"{PAPER}.ipynb": __import__("nbformat").writes(f).encode()}, ())]:
        folder = root / "submitted" / case.student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-25 09:00:00.000000 UTC")
        for name, content in case.build(full, blank).items():
            (folder / name).write_bytes(content)
    before = _checksums(root / "submitted")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NBGRADER_CELL_TIMEOUT", "10")   # the endless loop costs 10 s, not 2 min
        run = autograde(root, ASSIGNMENT, jobs=2)
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    scores = {row.student: row for row in grade_table(f"sqlite:///{root / 'gradebook.db'}", ASSIGNMENT)}
    return {"root": root, "cases": cases, "scores": scores, "before": before, "run": run}


def test_batch_grades_every_student(batch):
    assert sorted(batch["scores"]) == sorted([c.student for c in batch["cases"]] + ["honest"])
    assert batch["scores"]["honest"].code_score == sum(
        autograded_points(batch["root"] / "source" / ASSIGNMENT / f"{PAPER}.ipynb").values())


def test_submitted_is_byte_identical(batch):
    assert _checksums(batch["root"] / "submitted") == batch["before"]


@pytest.mark.parametrize("index", range(len(paper_cases("x.ipynb", ("answer_z1", "answer_a1")))))
def test_case_gets_its_outcome(batch, index):
    case = batch["cases"][index]
    points = autograded_points(batch["root"] / "source" / ASSIGNMENT / f"{PAPER}.ipynb")
    expected = 0.0 if case.lost_tests is None else sum(points.values()) - sum(points[t] for t in case.lost_tests)
    got = batch["scores"][case.student].code_score
    assert got == pytest.approx(expected), f"{case.student} ({case.why}): {got} points, expected {expected}"
    pages = sorted((batch["root"] / "feedback" / case.student / ASSIGNMENT).glob("*.html"))
    assert pages, f"{case.student} has no feedback page"
    text = _visible_text(pages[0])
    for phrase in case.feedback:
        assert phrase in text, f"{case.student}: feedback lacks {phrase!r}"


def test_no_feedback_leaks_hidden_tests(batch):
    source = read(batch["root"] / "source" / ASSIGNMENT / f"{PAPER}.ipynb")
    hidden = set()
    for cell in source.cells:
        for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            hidden.update(line.strip() for line in region.splitlines() if len(line.strip()) > 10)
    assert hidden
    for page in sorted((batch["root"] / "feedback").rglob("*.html")):
        text = _visible_text(page)
        assert "BEGIN HIDDEN TESTS" not in text and "check_quantity(" not in text, page
        assert page.stat().st_size < 3_000_000, f"{page} is {page.stat().st_size} bytes"
