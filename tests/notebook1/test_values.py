"""Per-student values of notebook 1 (course.exercise.values): switch, derivation, quality, CLI, display.

The quality criteria are re-derived here from the exercise's formulas with ``math``
(not with course.exercise.values' own chain), and the misconceptions are the ones
course.checks.paper names: every draw must keep each of them ten tolerances away.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT, read
from course.exercise import values
from course.checks import paper
from course.instructor.nbgrader_cli import nbgrader_env
from support.paper_corpus import GIVEN, HINT_TABLE, STEP_FORMULAS
from support.values import run_given_cells

COURSE = "backprop-by-hand"
PROPERTY_IDS = 1200


def _chain(given: dict, sigmoid_reading=None) -> dict:
    """The exercise's formulas step by step (support.paper_corpus), σ optionally read off a table."""
    v = dict(given)
    for step, formula in STEP_FORMULAS.items():
        v[step] = formula(v)
        if sigmoid_reading and step in ("a1", "y_pred"):
            v[step] = sigmoid_reading(v["z1" if step == "a1" else "z2"])
    return v


def _nearest_reading(table):
    return lambda z: table[min(table, key=lambda point: abs(point - z))]


def _poor_exercise(given: dict) -> list[str]:
    """Independent restatement of 'a good exercise' (see the issue), as a list of faults."""
    faults = []
    table = values.hint_table(values.from_mapping(given))
    for label, v in (("exact", _chain(given)), ("table", _chain(given, _nearest_reading(table)))):
        if max(abs(v["z1"]), abs(v["z2"])) > 2.0:
            faults.append(f"{label}: saturated sigmoid")
        for name in ("dL_dy_pred", "dL_dz2", "dL_dW2", "dL_db2", "dL_da1", "dL_dz1", "dL_dW1", "dL_db1"):
            if abs(v[name]) < 0.01:
                faults.append(f"{label}: {name} vanishingly small")
        for name, rule in paper.RULES.items():
            if name == "max_sigmoid_derivative":
                continue
            right = v[name]
            for _, description, formula in rule.misconceptions:
                try:
                    wrong = formula(v)
                except (ArithmeticError, ValueError):
                    continue
                if abs(wrong - right) < 10 * (paper.RTOL * abs(right) + paper.ATOL):
                    faults.append(f"{label}: {name}: '{description}' within ten tolerances")
    return faults


def _one_decimal(number: float) -> bool:
    return abs(number * 10 - round(number * 10)) < 1e-9


# ---- the switch ---------------------------------------------------------------------

def test_switched_off_everyone_gets_the_exercise(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_PER_STUDENT_VALUES", raising=False)
    settings_ = values.load_settings([tmp_path])
    assert not settings_.enabled
    for student in ("alice", "bob", None):
        assert settings_.values_for(student).as_dict() == GIVEN
    assert values.hint_table(values.EXERCISE) == HINT_TABLE


def test_switch_salt_and_overrides_come_from_nbgrader_config(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_PER_STUDENT_VALUES", raising=False)
    pinned = {"x": 0.3, "y": 1, "W1": 0.5, "b1": -0.2, "W2": 0.9, "b2": 0.4}
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'course-x'\n"
        "c.PerStudentValues.enabled = True\n"
        "c.PerStudentValues.salt = 'pepper'\n"
        f"c.PerStudentValues.overrides = {{'pat': {pinned!r}}}\n")
    settings_ = values.load_settings([tmp_path])
    assert settings_.enabled and settings_.salt == "pepper" and settings_.course_id() == "course-x"
    assert settings_.values_for("pat").as_dict() == {k: float(v) for k, v in pinned.items()}
    assert settings_.values_for("alice") == values.derive("alice", course="course-x", salt="pepper")
    assert settings_.values_for(None) == values.EXERCISE


def test_environment_turns_it_on(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PER_STUDENT_VALUES", "1")
    monkeypatch.setenv("COURSE_VALUES_SALT", "s1")
    monkeypatch.delenv("NBGRADER_COURSE_ID", raising=False)
    settings_ = values.load_settings([tmp_path])
    assert settings_.values_for("alice") == values.derive("alice", course=COURSE, salt="s1")


def test_incomplete_override_is_a_configuration_error(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.PerStudentValues.overrides = {'pat': {'x': 0.3}}\n")
    with pytest.raises(ValueError, match="missing y, W1"):
        values.load_settings([tmp_path])


# ---- the derivation ---------------------------------------------------------------------

def test_derivation_is_deterministic_and_depends_on_every_input():
    base = values.derive("alice", course=COURSE, assignment="ex01_backprop", salt="s")
    assert values.derive("alice", course=COURSE, assignment="ex01_backprop", salt="s") == base
    others = [values.derive("alice", course=COURSE, assignment="ex01_backprop", salt="t"),
              values.derive("alice", course="other", assignment="ex01_backprop", salt="s"),
              values.derive("alice", course=COURSE, assignment="ex02", salt="s"),
              values.derive("alicf", course=COURSE, assignment="ex01_backprop", salt="s")]
    assert all(other != base for other in others)


def test_property_every_draw_is_a_good_exercise():
    """Over 1,200 student ids: hand-workable values, no saturation, real gradients, and
    every named misconception ten tolerances from the right answer at every step."""
    started = time.perf_counter()
    draws = {f"s{i:05d}": values.derive(f"s{i:05d}", course=COURSE, salt="property") for i in range(PROPERTY_IDS)}
    elapsed = time.perf_counter() - started
    for student, drawn in draws.items():
        given_ = drawn.as_dict()
        assert given_["y"] == 1.0 and all(_one_decimal(v) for v in given_.values()), (student, given_)
        assert drawn != values.EXERCISE
        assert _poor_exercise(given_) == [], (student, given_)
        table = values.hint_table(drawn)
        chain = _chain(given_)
        for z in (chain["z1"], chain["z2"]):
            assert min(abs(point - z) for point in table) <= 0.05 + 1e-12, (student, z, table)
        for point, sigma in table.items():
            assert sigma == round(1 / (1 + math.exp(-point)), 4)
    # The class really gets different numbers: few pairs share all five drawn values.
    assert len(set(draws.values())) > 0.99 * PROPERTY_IDS
    print(f"\n{PROPERTY_IDS} student ids derived and checked; derivation took {elapsed:.2f} s")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(student=st.text(min_size=1, max_size=40), salt=st.text(max_size=20), course=st.text(max_size=20))
def test_property_any_id_salt_and_course(student, salt, course):
    drawn = values.derive(student, course=course, salt=salt)
    assert drawn != values.EXERCISE
    assert _poor_exercise(drawn.as_dict()) == []


def test_exercise_problems_names_what_is_wrong():
    saturated = values.GivenValues(x=0.9, y=1.0, W1=3.0, b1=0.5, W2=1.2, b2=0.5)  # off the grid
    assert any("saturated" in problem for problem in values.exercise_problems(saturated))
    no_bias = values.GivenValues(x=0.5, y=1.0, W1=0.8, b1=0.0, W2=0.6, b2=0.1)
    assert any("forgot to add the bias b1" in problem for problem in values.exercise_problems(no_bias))


# ---- grading against given values (in process) ----------------------------------------------

def test_checks_follow_the_given_values():
    alice = values.derive("alice", course=COURSE, salt="grading")
    answers = {k: round(v, 4) for k, v in _chain(alice.as_dict()).items() if k in paper.QUANTITIES}
    answers["max_sigmoid_derivative"] = 0.25
    assert all(result.passed for result in paper.grade_answers(answers, alice.as_dict()).values())
    # The same answers against the exercise's values: the copied chain is not carried forward.
    results = paper.grade_answers(answers, values.EXERCISE.as_dict())
    assert {name for name, result in results.items() if not result.passed} == set(paper.QUANTITIES)
    assert "look worked from other given values" in results["a1"].message


def test_hint_table_reading_passes_for_a_student_table():
    alice = values.derive("alice", course=COURSE, salt="grading")
    table = values.hint_table(alice)
    chain = _chain(alice.as_dict(), _nearest_reading(table))
    answers = {k: round(v, 4) for k, v in chain.items() if k in paper.QUANTITIES}
    results = paper.grade_answers(answers, alice.as_dict())
    assert all(result.passed for name, result in results.items() if name in paper.QUANTITIES), results


# ---- the instructor's command ---------------------------------------------------------------

def test_cli_prints_the_values_as_json(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    env = nbgrader_env(tmp_path, {"COURSE_PER_STUDENT_VALUES": "1", "COURSE_VALUES_SALT": "cli"})
    env.pop("NBGRADER_COURSE_ID", None)
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-m", "course.instructor.values", "alice"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, check=True).stdout
    printed = json.loads(out)
    assert list(printed) == ["x", "y", "W1", "b1", "W2", "b2"]
    assert printed == values.derive("alice", course=COURSE, salt="cli").as_dict()
    env["COURSE_PER_STUDENT_VALUES"] = "0"
    out = subprocess.run([sys.executable, "-m", "course.instructor.values", "alice"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == GIVEN


# ---- what the student sees: the given cells in a real kernel --------------------------------

def _run(env_extra: dict, tmp_path: Path) -> nbformat.NotebookNode:
    release = read(ROOT / "release" / "ex01_backprop" / "01_paper_calculation.ipynb")
    return run_given_cells(release, tmp_path / "ex01_backprop", env_extra,
                           extra_source="from course.exercise.display import worked_example\n"
                                        "print(repr((x, y, W1, b1, W2, b2)))\n"
                                        "print(repr(tuple(worked_example().values())))")


def _shown(notebook) -> tuple[str, dict, str, tuple]:
    given_output = notebook.cells[0].outputs[0]
    hints = notebook.cells[1].outputs[0].data["text/markdown"]
    bound, worked = (eval(line) for line in notebook.cells[2].outputs[0].text.splitlines())  # noqa: S307
    assert worked == bound, "notebook 2's worked example is not notebook 1's values"
    return given_output.data["text/markdown"], given_output.metadata, hints, bound


@pytest.mark.server  # a Jupyter kernel
def test_student_sees_own_values_in_both_tables(tmp_path):
    notebook = _run({"JUPYTERHUB_USER": "alice", "COURSE_PER_STUDENT_VALUES": "1",
                     "COURSE_VALUES_SALT": "kernel", "NBGRADER_COURSE_ID": COURSE}, tmp_path)
    table, metadata, hints, bound = _shown(notebook)
    alice = values.derive("alice", course=COURSE, salt="kernel")
    assert "**Your values** (student `alice`)" in table
    assert "| " + " | ".join(f"{v:g}" for v in alice) + " |" in table
    assert metadata["course_given_values"] == {"student": "alice", "values": alice.as_dict()}
    assert bound == tuple(alice)
    for point, sigma in values.hint_table(alice).items():
        assert f"{point:g}" in hints and f"{sigma:.4f}" in hints
    assert "0.6225" not in hints


@pytest.mark.server  # a Jupyter kernel
def test_no_identity_says_so_and_shows_the_exercise(tmp_path):
    notebook = _run({"COURSE_PER_STUDENT_VALUES": "1", "COURSE_VALUES_SALT": "kernel"}, tmp_path)
    table, metadata, hints, bound = _shown(notebook)
    assert "No student identity here" in table and "the exercise's values" in table
    assert "| 0.5 | 1 | 0.8 | 0.2 | 0.6 | 0.1 |" in table
    assert metadata["course_given_values"] == {"student": None, "values": GIVEN}
    assert bound == tuple(GIVEN.values())
    assert "| 0.5 | 0.6 | 0.7 |" in hints and "| 0.6225 | 0.6457 | 0.6682 |" in hints
    # The hint cell shows its table once: no `Out[]` with the raw numbers under it.
    assert [output.output_type for output in notebook.cells[1].outputs] == ["display_data"]


# ---- the grader's preprocessors, in process ---------------------------------------------------

def _graded_copy(answers: dict[str, float], shown: dict | None, student: str, salt: str):
    """Run StashShownValues then GradeWithOwnValues on the source notebook (hidden tests
    included, as nbgrader restores them) with the answer cells filled in."""
    from traitlets.config import Config

    from course.grader.own_values import GradeWithOwnValues, StashShownValues
    from support.paper_corpus import NOTEBOOK, fill_answers

    notebook = fill_answers(read(NOTEBOOK),
                            {name: repr(value) for name, value in answers.items()})
    if shown is not None:
        cell = next(c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"] == "paper_given_values")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "…"},
                                               metadata={"course_given_values": shown})]
    config = Config()
    config.PerStudentValues.enabled = True
    config.PerStudentValues.salt = salt
    config.CourseDirectory.course_id = COURSE
    resources = {"nbgrader": {"student": student, "assignment": "ex01_backprop", "notebook": "01_paper_calculation"}}
    notebook, resources = StashShownValues(config=config).preprocess(notebook, resources)
    return GradeWithOwnValues(config=config).preprocess(notebook, resources)[0]


def test_grader_writes_own_values_and_carries_slips_forward():
    alice = values.derive("alice", course=COURSE, salt="pp")
    answers = {k: round(v, 4) for k, v in _chain(alice.as_dict()).items() if k in paper.QUANTITIES}
    answers["dL_dz2"] = answers["dL_dy_pred"]   # one slip
    graded = _graded_copy(answers, {"student": "alice", "values": alice.as_dict()}, "alice", "pp")
    sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in graded.cells}
    assert f"show_given_values({alice.as_dict()!r}, student='alice')" in sources["paper_given_values"]
    assert f'check_quantity("z1", globals(), given={alice.as_dict()!r})' in sources["test_z1"]
    assert not any("grading-values-note" in c.metadata.get("tags", []) for c in graded.cells)


def test_grader_notes_other_values_and_stops_carrying_forward():
    alice = values.derive("alice", course=COURSE, salt="pp")
    copied = {k: round(v, 4) for k, v in _chain(values.EXERCISE.as_dict()).items() if k in paper.QUANTITIES}
    graded = _graded_copy(copied, {"student": None, "values": GIVEN}, "alice", "pp")
    sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in graded.cells}
    assert f'check_quantity("a1", globals(), given={alice.as_dict()!r}, carry_forward=False)' in sources["test_a1"]
    notes = [c.source for c in graded.cells if "grading-values-note" in c.metadata.get("tags", [])]
    assert len(notes) == 1
    assert "This notebook showed the exercise's values: x = 0.5, y = 1, W1 = 0.8" in notes[0]
    assert "look worked from other values" in notes[0]


def test_typed_answers_reads_plain_numbers_only():
    from course.grader.own_values import typed_answers
    from support.paper_corpus import fill_answers

    notebook = fill_answers(read(ROOT / "release" / "ex01_backprop" / "01_paper_calculation.ipynb"),
                            {"z1": "0.6", "a1": "-1", "z2": "W2 * a1 + b2", "y_pred": "'0.62'", "loss": "True"})
    assert typed_answers(notebook) == {"z1": 0.6, "a1": -1.0}


def test_release_carries_the_assignment_id():
    """generate_assignment stamps the assignment id, so the student's values do not depend
    on the folder the notebook is kept in."""
    release = read(ROOT / "release" / "ex01_backprop" / "01_paper_calculation.ipynb")
    given_cell = next(c for c in release.cells if c.metadata["nbgrader"]["grade_id"] == "paper_given_values")
    assert "given = show_given_values(assignment='ex01_backprop')" in given_cell.source
    notebook2 = read(ROOT / "release" / "ex01_backprop" / "02_code_verification.ipynb")
    assert "worked_example(assignment='ex01_backprop')" in "\n".join(c.source for c in notebook2.cells)
