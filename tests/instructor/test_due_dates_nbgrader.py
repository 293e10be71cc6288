"""Due dates, late work and solutions in a real nbgrader course with its own exchange.

One scenario (module fixture) in a copy of the generated course, recorded for the tests:

1. due date in the future (``nbgrader db assignment add … --duedate``), ``generate_assignment``;
   ``make solutions`` refuses; a full notebook validates without a word about lateness;
2. due date in the past, ``generate_assignment``; Validate says the submission will be
   late (and ``--invert`` on the blank release is unaffected); ``make solutions`` with a
   grace period that has not run out refuses, with one that has it releases, twice;
3. a student fetches ``ex01_backprop_solutions`` from the exchange and runs notebook 1's
   solutions with per-student values on: they work the student's own numbers;
4. a student submits after the due date: nbgrader records it late, the graded notebook
   (formgrader's view) and the feedback say so, and no points are taken.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENT, ROOT, SOURCE_DIR, copy_generated_course, hidden_test_lines, read, visible_text
from course.instructor.nbgrader_cli import nbgrader, nbgrader_env
from course.instructor.synthetic import autograded_points, full_submission
from support.exercise_answers import notebook_1_answers

pytestmark = [pytest.mark.nbgrader, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

COURSE_ID = "backprop-by-hand"
SOLUTIONS = f"{ASSIGNMENT}_solutions"
PAPER = "01_paper_calculation"
# Due dates as an instructor types them, and as the notebooks must show them (Europe/Berlin).
FUTURE, FUTURE_SHOWN = "2031-01-15 17:30 Europe/Berlin", "Wednesday 15 January 2031, 17:30 CET (Europe/Berlin, UTC+01:00)"
PAST, PAST_SHOWN = "2020-07-15 09:00 Europe/Berlin", "Wednesday 15 July 2020, 09:00 CEST (Europe/Berlin, UTC+02:00)"
SALT = "due-dates-test"
MAKE_FILES = ("Makefile", "requirements.txt", "requirements.lock", "pyproject.toml")


@dataclass
class Scenario:
    root: Path
    exchange: Path
    headers: dict[str, dict[str, str]] = field(default_factory=dict)      # stage -> notebook -> first markdown
    metadata: dict[str, dict[str, dict]] = field(default_factory=dict)    # stage -> notebook -> due date record
    validate: dict[str, str] = field(default_factory=dict)                # stage -> nbgrader validate output
    make: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)
    outbound: dict[str, list[str]] = field(default_factory=dict)          # after which make -> outbound listing
    fetched: dict[str, nbformat.NotebookNode] = field(default_factory=dict)
    own_values: dict[str, float] = field(default_factory=dict)
    worked: dict[str, float] = field(default_factory=dict)                # notebook 1's solutions, run as alice


def _make(scenario: Scenario, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args, f"VENV={sys.prefix}"], cwd=scenario.root,
                          env=env, capture_output=True, text=True, timeout=900)


def _outbound(scenario: Scenario) -> list[str]:
    folder = scenario.exchange / COURSE_ID / "outbound"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _release(scenario: Scenario, env: dict, due: str, stage: str) -> None:
    nbgrader(scenario.root, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due}", env=env)
    nbgrader(scenario.root, "generate_assignment", ASSIGNMENT, "--force", env=env)
    release = scenario.root / "release" / ASSIGNMENT
    notebooks = {path.stem: read(path) for path in sorted(release.glob("*.ipynb"))}
    scenario.headers[stage] = {name: next(c.source for c in nb.cells if c.cell_type == "markdown")
                               for name, nb in notebooks.items()}
    scenario.metadata[stage] = {name: nb.metadata.get("course_due_date") for name, nb in notebooks.items()}


def _validate(scenario: Scenario, env: dict, *args: str) -> str:
    result = nbgrader(scenario.root, "validate", *args, env=env, check=False)
    return result.stdout + result.stderr


def _run_as_student(notebook: nbformat.NotebookNode, folder: Path, student: str) -> dict[str, float]:
    """Run a fetched notebook 1 in a kernel as ``student`` on a hub with per-student values on."""
    from nbclient import NotebookClient

    names = list(notebook_1_answers(**{k: 1.0 for k in ("x", "y", "W1", "b1", "W2", "b2")}))
    notebook = nbformat.reads(nbformat.writes(notebook), as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import json\nprint('ANSWERS', json.dumps({n: float(globals()[n]) for n in %r}))" % names))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGRADER_", "COURSE_", "JUPYTERHUB_"))}
    env.update({"PYTHONPATH": str(ROOT), "JUPYTERHUB_USER": student, "COURSE_PER_STUDENT_VALUES": "1",
                "COURSE_VALUES_SALT": SALT})
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute(env=env)
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    return json.loads(printed.split("ANSWERS", 1)[1])


@pytest.fixture(scope="module")
def scenario(generated_course, tmp_path_factory) -> Scenario:
    base = tmp_path_factory.mktemp("due_dates")
    root = copy_generated_course(generated_course, base / "course")
    for name in MAKE_FILES:
        shutil.copy2(ROOT / name, root / name)   # copy2: the venv's stamp stays newer, `make` installs nothing
    record = Scenario(root=root, exchange=base / "exchange")
    env = nbgrader_env(root, {"NBGRADER_EXCHANGE": str(record.exchange), "COURSE_TIMEZONE": "Europe/Berlin"})
    release = root / "release" / ASSIGNMENT
    work = base / "work"
    work.mkdir()

    # 1. Before the due date.
    _release(record, env, FUTURE, "future")
    record.make["before"] = _make(record, env, "solutions")
    record.outbound["before"] = _outbound(record)
    nbformat.write(full_submission(SOURCE_DIR / f"{PAPER}.ipynb", release / f"{PAPER}.ipynb"), work / "full.ipynb")
    record.validate["before"] = _validate(record, env, str(work / "full.ipynb"))

    # 2. After it.
    _release(record, env, PAST, "past")
    nbformat.write(full_submission(SOURCE_DIR / f"{PAPER}.ipynb", release / f"{PAPER}.ipynb"), work / "full.ipynb")
    record.validate["after"] = _validate(record, env, str(work / "full.ipynb"))
    record.validate["after, blank, inverted"] = _validate(record, env, "--invert", str(release / f"{PAPER}.ipynb"))
    record.make["grace not over"] = _make(record, env, "solutions", "SOLUTIONS_AFTER=100000d")
    record.outbound["grace not over"] = _outbound(record)
    record.make["after"] = _make(record, env, "solutions", "SOLUTIONS_AFTER=2d")
    record.make["again"] = _make(record, env, "solutions", "SOLUTIONS_AFTER=2d")
    record.outbound["after"] = _outbound(record)

    # 3. A student fetches the solutions and runs notebook 1 with their own values.
    home = base / "home" / "alice"
    home.mkdir(parents=True)
    student_flags = [f"--course={COURSE_ID}", f"--Exchange.root={record.exchange}"]
    nbgrader(home, "fetch_assignment", SOLUTIONS, *student_flags, env=env)
    record.fetched = {path.stem: read(path) for path in sorted((home / SOLUTIONS).glob("*.ipynb"))}
    values_env = {**env, "COURSE_PER_STUDENT_VALUES": "1", "COURSE_VALUES_SALT": SALT}
    printed = subprocess.run([sys.executable, "-m", "course.instructor.values", "alice"], cwd=root,
                             env=values_env, capture_output=True, text=True, check=True)
    record.own_values = json.loads(printed.stdout)
    record.worked = _run_as_student(record.fetched[PAPER], home / SOLUTIONS, "alice")

    # 4. bob submits after the due date.
    nbgrader(root, "release_assignment", ASSIGNMENT, "--force", env=env)
    bob = base / "home" / "bob"
    bob.mkdir(parents=True)
    nbgrader(bob, "fetch_assignment", ASSIGNMENT, *student_flags, env=env)
    for path in sorted((bob / ASSIGNMENT).glob("*.ipynb")):
        nbformat.write(full_submission(root / "source" / ASSIGNMENT / path.name, path), path)
    nbgrader(bob, "submit", ASSIGNMENT, "--student=bob", *student_flags, env=env)
    nbgrader(root, "collect", ASSIGNMENT, env=env)
    nbgrader(root, "autograde", ASSIGNMENT, "--force", env=env)
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", env=env)
    return record


# --- 1. the due date in the released notebooks ---------------------------------------------------

def test_release_header_shows_the_due_date_with_its_time_zone(scenario):
    for stage, shown, utc in (("future", FUTURE_SHOWN, "2031-01-15T16:30:00+00:00"),
                              ("past", PAST_SHOWN, "2020-07-15T07:00:00+00:00")):
        assert sorted(scenario.headers[stage]) == sorted(p.stem for p in SOURCE_DIR.glob("*.ipynb"))
        for notebook, header in scenario.headers[stage].items():
            lines = header.splitlines()
            assert lines[0].startswith("# Backprop by Hand"), (stage, notebook)
            assert lines[2] == f"**Due date:** {shown}", (stage, notebook, header[:300])
            assert scenario.metadata[stage][notebook] == {"utc": utc, "timezone": "Europe/Berlin"}


def test_without_a_due_date_there_is_no_line(generated_course):
    for path in sorted((generated_course / "release" / ASSIGNMENT).glob("*.ipynb")):
        notebook = read(path)
        assert not any("Due date" in cell.source for cell in notebook.cells), path.name
        assert "course_due_date" not in notebook.metadata


# --- 2. Validate, and when the solutions are released ----------------------------------------------

def test_validate_before_the_due_date_says_nothing_about_lateness(scenario):
    assert "Success! Your notebook passes all the tests." in scenario.validate["before"]
    assert "late" not in scenario.validate["before"].lower()


def test_validate_after_the_due_date_says_the_submission_will_be_late(scenario):
    output = scenario.validate["after"]
    failed = re.findall(r"The following cell failed:\n\n(.*?)\n\nThe error was:\n\n(.*?)(?=\n={20,}|\Z)", output, re.S)
    assert len(failed) == 1, output        # the lateness notice, and no test of the full notebook
    source, error = failed[0]
    assert source.strip() == f"# Due date: {PAST_SHOWN}"
    error = " ".join(error.split())
    assert f"The due date has passed: {PAST_SHOWN} (" in error, error
    assert "If you submit now, your submission will be recorded as late" in error, error
    assert "Success! The notebook does not pass any tests." in scenario.validate["after, blank, inverted"]


def test_make_solutions_refuses_before_the_due_date_and_grace_period(scenario):
    for stage in ("before", "grace not over"):
        result = scenario.make[stage]
        assert result.returncode != 0, (stage, result.stdout, result.stderr)
        assert "Not releasing the solutions of ex01_backprop" in result.stderr, (stage, result.stderr)
        assert "FORCE=1" in result.stderr
        assert SOLUTIONS not in scenario.outbound[stage]
    assert "can be released from" in scenario.make["grace not over"].stderr


def test_make_solutions_releases_after_the_due_date_and_twice_is_safe(scenario):
    for stage in ("after", "again"):
        result = scenario.make[stage]
        assert result.returncode == 0, (stage, result.stdout[-2000:], result.stderr[-3000:])
        assert f"Released {SOLUTIONS} through the exchange" in result.stdout
    assert scenario.outbound["after"] == [SOLUTIONS]
    assert sorted(scenario.fetched) == sorted(p.stem for p in SOURCE_DIR.glob("*.ipynb"))


# --- 3. what the solutions contain -------------------------------------------------------------------

def test_solution_notebooks_have_the_solutions_and_no_hidden_tests_or_mark_schemes(scenario):
    for name, notebook in scenario.fetched.items():
        source = read(SOURCE_DIR / f"{name}.ipynb")
        text = "\n".join(cell.source for cell in notebook.cells)
        regions = [region.strip() for cell in source.cells
                   for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)]
        assert regions and all(region in text for region in regions), name
        for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "MARK SCHEME", "YOUR CODE HERE"):
            assert marker not in text, (name, marker)
        assert not any(line in text for line in hidden_test_lines(SOURCE_DIR / f"{name}.ipynb")), name
        schemes = [line.strip() for cell in source.cells
                   for region in re.findall(r"### BEGIN MARK SCHEME\n(.*?)### END MARK SCHEME", cell.source, re.S)
                   for line in region.splitlines() if len(line.strip()) > 20]
        assert not any(line in text for line in schemes), name
        assert notebook.cells[0].source.startswith(f"**Solutions** for the assignment `{ASSIGNMENT}`"), name


def test_solution_notebooks_are_executed_without_errors_or_stderr(scenario):
    images = 0
    for name, notebook in scenario.fetched.items():
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code and all(cell.execution_count is not None for cell in code), name
        for cell in code:
            for output in cell.outputs:
                assert output.output_type != "error", (name, output.get("ename"), output.get("evalue"))
                assert not (output.output_type == "stream" and output.name == "stderr"), (name, output.text[:500])
                images += "image/png" in output.get("data", {})
        # the sliders' figures travel as saved widget state
        assert notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json"), name
    assert images >= 1


def test_notebook_1_solutions_work_the_students_own_values(scenario):
    own = scenario.own_values
    assert set(own) == {"x", "y", "W1", "b1", "W2", "b2"}
    expected = notebook_1_answers(**own)
    exercise = notebook_1_answers(x=0.5, y=1.0, W1=0.8, b1=0.2, W2=0.6, b2=0.1)
    assert any(abs(expected[k] - exercise[k]) > 1e-3 for k in expected), "alice's values are the exercise's"
    assert scenario.worked == pytest.approx(expected, rel=1e-9, abs=1e-12)


# --- 4. late work ------------------------------------------------------------------------------------

def test_a_late_submission_is_recorded_late_noted_and_not_penalised(scenario):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{scenario.root / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, "bob")
        assert submission.total_seconds_late > 0
        assert submission.late_submission_penalty == 0
        code_score = submission.code_score
    assert code_score == pytest.approx(sum(sum(autograded_points(p).values()) for p in SOURCE_DIR.glob("*.ipynb")))
    for path in sorted((scenario.root / "autograded" / "bob" / ASSIGNMENT).glob("*.ipynb")):
        first = read(path).cells[0]
        assert first.source.startswith("**Late submission:** submitted "), path.name
        assert f"after the due date, {PAST_SHOWN}." in first.source, path.name
    for page in sorted((scenario.root / "feedback" / "bob" / ASSIGNMENT).glob("*.html")):
        assert "Late submission: submitted" in visible_text(page), page.name
