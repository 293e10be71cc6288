"""``make report`` on a planted class of 60 students (issue 13).

60 students, each with a planted set of mistakes across the three notebooks
(course/instructor/planted.py), are written to ``submitted/`` and graded by real
``nbgrader autograde`` in two processes (``make autograde JOBS=2``: sandbox and warm
kernel pool, the defaults of ``nbgrader_config.py``).  Each check's result travels as
``display_data`` through nbgrader's own pipeline into ``autograded/``, its points into
the gradebook.

The report, read from ``autograded/`` and the gradebook without re-running anything,
must count exactly what was planted (:func:`~course.instructor.planted.expected_counts`,
from the plan alone): each mistake once, at its root, the later steps consistent with it
right by error carried forward.  The HTML page renders in Chromium with its two pictures
and shows no student name; an empty class gives an empty report.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import ASSIGNMENT, ROOT, copy_generated_course, read
from course.grader.cells import is_autograder_test
from course.instructor.autograde import autograde
from course.instructor.planted import class_plan, expected_counts, write_planted_class
from course.instructor.report import write_report

pytestmark = pytest.mark.nbgrader
ARTIFACTS = ROOT / "artifacts" / "report"
NOTEBOOKS = ("01_paper_calculation", "02_code_verification", "03_gradient_flow")


@pytest.fixture(scope="module")
def planted(generated_course, tmp_path_factory):
    root = copy_generated_course(generated_course, tmp_path_factory.mktemp("class") / "course")
    students = class_plan()
    write_planted_class(root, ASSIGNMENT, students)
    run = autograde(root, ASSIGNMENT, jobs=2)
    assert sorted(run.students) == sorted(students) and not run.failed, run.log
    paths = write_report(root, ASSIGNMENT)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in paths.values():
        (ARTIFACTS / path.name).write_bytes(path.read_bytes())
    # The grading time of the whole class, for whoever watches the suite's budget.
    (ARTIFACTS / "autograde.txt").write_text(
        f"{len(run.students)} submissions autograded with 2 jobs in {run.seconds:.1f} s\n")
    return root, students, paths


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_class_is_large_enough_and_covers_every_notebook(planted):
    root, students, _ = planted
    assert len(students) >= 60
    notebooks = {key[0] for key, n in expected_counts(root, ASSIGNMENT, students).items()
                 if key[2] != "passed"}
    assert notebooks == set(NOTEBOOKS)


def test_results_travel_through_real_nbgrader(planted):
    """Every test cell real nbgrader autograded carries the grader's result in its metadata,
    and no output box of its own (formgrader shows an empty box for a display_data)."""
    root, students, _ = planted
    for student in students:
        for name in NOTEBOOKS:
            notebook = read(root / "autograded" / student / ASSIGNMENT / f"{name}.ipynb")
            tests = [cell for cell in notebook.cells if is_autograder_test(cell)]
            missing = [cell.metadata.nbgrader.grade_id for cell in tests
                       if cell.metadata.get("course", {}).get("result", {}).get("outcome") is None]
            assert not missing, (student, name, missing)
            boxes = [cell.metadata.nbgrader.grade_id for cell in tests
                     if any(output.get("output_type") == "display_data" for output in cell.outputs)]
            assert not boxes, (student, name, boxes)


def test_counts_equal_the_planted_ones(planted):
    root, students, paths = planted
    rows = _rows(paths["misconceptions"])
    assert list(rows[0]) == ["notebook", "test", "outcome", "misconception", "students", "label"]
    assert all(bool(r["label"]) == bool(r["misconception"]) for r in rows), rows
    got = {(r["notebook"], r["test"], r["outcome"], r["misconception"]): int(r["students"]) for r in rows}
    expected = expected_counts(root, ASSIGNMENT, students)
    wrong = {key: (got.get(key), expected.get(key)) for key in set(got) | set(expected)
             if got.get(key) != expected.get(key)}
    assert not wrong, wrong
    print("\n" + "\n".join(f"{n:3d}  {nb}  {test}  {outcome}  {m}" for (nb, test, outcome, m), n in sorted(got.items())
                           if outcome != "passed"))


def test_per_student_csv_has_every_student_and_test(planted):
    root, students, paths = planted
    rows = _rows(paths["students"])
    assert {r["student"] for r in rows} == set(students)
    tests_per_student = {len([r for r in rows if r["student"] == s]) for s in students}
    assert tests_per_student == {sum(1 for key in expected_counts(root, ASSIGNMENT, {"x": ()}))}


def test_html_names_no_student(planted):
    _, students, paths = planted
    text = paths["html"].read_text()
    assert not [student for student in students if student in text]


def test_class_panel_for_the_classroom_explorer(planted):
    """The explorer runs in demos/: the panel finds the course above it and shows both
    pictures, without names."""
    from course.instructor.report import class_panel

    root, students, _ = planted
    (root / "demos").mkdir(exist_ok=True)
    panel = class_panel(root / "demos").value
    assert panel.count("<svg") == 2 and "forgot_the_sigmoid_derivative" in panel
    assert not [student for student in students if student in panel]


@pytest.mark.browser
def test_html_renders_in_chromium_with_its_plots(planted):
    from playwright.sync_api import sync_playwright

    from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS

    _, _, paths = planted
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(paths["html"].as_uri())
        for figure in ("#heat-map svg", "#misconception-chart svg"):
            box = page.locator(figure).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, (figure, box)
        assert page.locator("#heat-map svg image, #heat-map svg path").count() > 0
        assert page.locator("#misconception-chart svg path").count() > 5  # the bars
        text = page.evaluate("document.body.innerText")
        assert "forgot_the_sigmoid_derivative" in text and "discrimination" in text
        page.screenshot(path=str(ARTIFACTS / "class_report.png"), full_page=True)
        browser.close()
    assert errors == []


def test_empty_class_gives_an_empty_report(generated_course, tmp_path):
    root = copy_generated_course(generated_course, tmp_path / "course")   # released, nothing submitted
    paths = write_report(root, ASSIGNMENT)
    assert _rows(paths["misconceptions"]) == [] and _rows(paths["students"]) == []
    assert "No graded submissions" in paths["html"].read_text()
