"""Per-student values through real ``nbgrader autograde`` (switch on), notebook 1.

Five students, each notebook's given cells run in a real kernel as that student
(``JUPYTERHUB_USER``) so it records what it showed, answers typed as numbers:

- alice, bob: correct from their own values → full marks;
- carol: types alice's answers → loses every step whose value is not a right answer for her
  own values (a copied σ that happens to be a reading of her hint table is right for her),
  with a note: error carried forward forgives slips, not someone else's values;
- dave: one slip (dL/dz2 without the sigmoid derivative) carried forward → loses one step;
- erin: worked in alice's account (her notebook shows alice's values) with alice's
  answers → graded against erin's own values, with a note saying so.

The values ``python -m course.instructor.values`` prints are the ones the grader wrote
into each graded notebook.  (Switched off, grades are today's: test_paper_nbgrader.py
runs with the default configuration.)
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys

import nbformat
import pytest

from conftest import ASSIGNMENT, copy_generated_course
from course.grader.cells import by_grade_id
from course.instructor.nbgrader_cli import nbgrader, nbgrader_env
from support.paper_corpus import GRADED, QUANTITIES, fill_answers
from support.values import run_given_cells, with_outputs_of, worked_answers

pytestmark = pytest.mark.nbgrader

NOTEBOOK = "01_paper_calculation"
RTOL, ATOL = 5e-3, 5e-5   # the tolerance notebook 1 promises students (3 significant figures)


def _close(got: float, expected: float) -> bool:
    return abs(got - expected) <= RTOL * abs(expected) + ATOL


def _right_answers(given: dict[str, float]) -> dict[str, list[float]]:
    """Every answer right for ``given`` at each step: the exact one and, for σ, the value
    of a hint-table point (a multiple of 0.1) within 0.05 of z, to 4 decimals."""
    exact = worked_answers(given, decimals=None)
    right = {name: [value] for name, value in exact.items()}
    for step, z in (("a1", exact["z1"]), ("y_pred", exact["z2"])):
        for k in (math.floor(z * 10), math.ceil(z * 10)):
            if abs(z - k / 10) <= 0.05 + 1e-9:
                right[step].append(round(1 / (1 + math.exp(-k / 10)), 4))
    return right


def _differing_steps(answers: dict[str, float], given: dict[str, float]) -> set[str]:
    """The steps where ``answers`` match no answer that is right for ``given``."""
    right = _right_answers(given)
    return {name for name in QUANTITIES if not any(_close(answers[name], r) for r in right[name])}


def _printed_values(course, env, students) -> dict[str, dict[str, float]]:
    """What `python -m course.instructor.values STUDENT` prints in the course root, per student."""
    printed = {}
    for student in students:
        result = subprocess.run([sys.executable, "-m", "course.instructor.values", student], cwd=course,
                                env=env, capture_output=True, text=True, check=True)
        printed[student] = json.loads(result.stdout)
    return printed


def _forgot_sigmoid_derivative(v):
    return v["dL_dy_pred"]


def test_per_student_values_through_nbgrader(generated_course, tmp_path):
    # The release does not depend on the switch: generate_assignment stamps only the assignment id.
    course = copy_generated_course(generated_course, tmp_path / "course", notebooks=(NOTEBOOK,))
    switch = {"COURSE_PER_STUDENT_VALUES": "1", "COURSE_VALUES_SALT": "autumn-2026",
              "NBGRADER_COURSE_ID": "backprop-by-hand"}
    env = nbgrader_env(course, switch)
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)

    students = ("alice", "bob", "carol", "dave", "erin")
    own = _printed_values(course, env, students)
    assert len({tuple(v.values()) for v in own.values()}) == len(students), own
    answers = {
        "alice": worked_answers(own["alice"]),
        "bob": worked_answers(own["bob"]),
        "carol": worked_answers(own["alice"]),
        "dave": worked_answers(own["dave"], {"dL_dz2": _forgot_sigmoid_derivative}),
        "erin": worked_answers(own["alice"]),
    }
    account = {"erin": "alice"}   # whose JupyterHub account the notebook ran in
    for student in students:
        shown = run_given_cells(release, tmp_path / "home" / student / ASSIGNMENT,
                                {**switch, "JUPYTERHUB_USER": account.get(student, student)})
        notebook = fill_answers(nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4),
                                {name: repr(value) for name, value in answers[student].items()})
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(with_outputs_of(notebook, shown), folder / f"{NOTEBOOK}.ipynb")

    nbgrader(course, "autograde", ASSIGNMENT, "--force", env=env)

    from nbgrader.api import Gradebook

    lost = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            lost[student] = {name for name in GRADED
                             if gradebook.find_grade(f"test_{name}", NOTEBOOK, ASSIGNMENT, student).score != 1.0}
    scores = {student: len(GRADED) - len(names) for student, names in lost.items()}
    print("\nper-student values:", json.dumps(own), "\nautograded scores (of 14):", scores)

    assert lost["alice"] == set() and lost["bob"] == set()
    copied_off = _differing_steps(answers["alice"], own["carol"])
    # With this salt every step differs (two draws can agree downstream, e.g. on z2; a
    # copy then costs only the steps before that).
    assert len(copied_off) == len(QUANTITIES), copied_off
    assert lost["carol"] == copied_off
    assert lost["dave"] == {"dL_dz2"}
    assert lost["erin"] == _differing_steps(answers["alice"], own["erin"])

    for student in students:
        graded = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
        given_cell = by_grade_id(graded, "paper_given_values")
        call = ast.parse(given_cell.source).body[1].value          # given = show_given_values({...}, student=...)
        assert ast.literal_eval(call.args[0]) == own[student], student
        assert ast.literal_eval(call.keywords[0].value) == student
        shown = given_cell.outputs[0].metadata["course_given_values"]
        assert shown == {"student": student, "values": own[student]}
        notes = [c.source for c in graded.cells if "grading-values-note" in c.metadata.get("tags", [])]
        listed = ", ".join(f"{k} = {v:g}" for k, v in own[student].items())
        if student in ("carol", "erin"):   # answers worked from alice's values
            assert len(notes) == 1 and listed in notes[0], (student, notes)
            assert "look worked from other values, so earlier answers were not carried forward" in notes[0]
            assert ("This notebook showed the values of student `alice`" in notes[0]) == (student == "erin")
        else:
            assert notes == [], student

    # Feedback names why a copied chain is not carried forward, and shows no expected value.
    carol = nbformat.read(course / "autograded" / "carol" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    error = "\n".join(by_grade_id(carol, "test_a1").outputs[-1].traceback)
    assert "look worked from other given values than yours" in error
    assert f"{worked_answers(own['carol'])['a1']}" not in error
