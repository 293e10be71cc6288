"""Due dates and solutions, in process: formatting, the release header, the Validate hook,
the late note, and when ``make solutions`` may release (course/instructor/due_dates.py,
course/instructor/solutions.py).  The real nbgrader runs are in test_due_dates_nbgrader.py."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course.kernel import due_date
from course.instructor import due_dates, solutions

# nbgrader's add_submission warns about its own session handling.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

UTC = dt.timezone.utc
DUE = dt.datetime(2025, 3, 14, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize("when, zone, shown", [
    (DUE, "UTC", "Friday 14 March 2025, 17:00 UTC"),
    (DUE, "Europe/Berlin", "Friday 14 March 2025, 18:00 CET (Europe/Berlin, UTC+01:00)"),
    (dt.datetime(2025, 7, 1, 10, 0, tzinfo=UTC), "Europe/Berlin",
     "Tuesday 1 July 2025, 12:00 CEST (Europe/Berlin, UTC+02:00)"),
    (DUE, "America/New_York", "Friday 14 March 2025, 13:00 EDT (America/New_York, UTC-04:00)"),
])
def test_due_date_is_shown_with_its_time_zone(when, zone, shown):
    assert due_date.format_due_date(when, zone) == shown


@pytest.mark.parametrize("delta, words", [
    (dt.timedelta(days=2, hours=3, minutes=5), "2 days 3 hours"),
    (dt.timedelta(hours=1, minutes=1), "1 hour 1 minute"),
    (dt.timedelta(minutes=5, seconds=59), "5 minutes"),
    (dt.timedelta(seconds=20), "less than a minute"),
])
def test_durations_read_as_words(delta, words):
    assert due_date.format_duration(delta) == words


@pytest.mark.parametrize("text, delta", [
    ("", dt.timedelta()), ("2d", dt.timedelta(days=2)), ("36h", dt.timedelta(hours=36)),
    ("1d12h", dt.timedelta(days=1, hours=12)), ("90m", dt.timedelta(minutes=90)), ("1w", dt.timedelta(weeks=1)),
    ("1.5d", dt.timedelta(hours=36)),
])
def test_grace_periods_are_parsed(text, delta):
    assert solutions.parse_duration(text) == delta


@pytest.mark.parametrize("text", ["2", "2x", "d2", "2d junk", "-1d"])
def test_a_bad_grace_period_is_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        solutions.parse_duration(text)


# --- the gradebook ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory) -> Path:
    """A gradebook file with ex01_backprop (no due date yet) and students alice and bob."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    # nbgrader creates a gradebook with `alembic`, found on PATH (a few seconds: once).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        with Gradebook(f"sqlite:///{path}") as book:
            book.add_assignment("ex01_backprop")
            for student in ("alice", "bob"):
                book.add_student(student)
    return path


@pytest.fixture
def gradebook(empty_gradebook, tmp_path) -> str:
    """A copy of :func:`empty_gradebook` of the test's own, as a database URL."""
    path = tmp_path / "gradebook.db"
    shutil.copyfile(empty_gradebook, path)
    return f"sqlite:///{path}"


def _set_due(url: str, when: str | None) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(url) as book:
        book.update_or_create_assignment("ex01_backprop", duedate=when)


def _header_notebook():
    return new_notebook(cells=[
        new_markdown_cell("# Backprop by Hand — Part 9: Test\n\nIntro text."),
        new_code_cell("x = 1"),
    ])


def _show(url: str, notebook, zone: str = "UTC"):
    from traitlets.config import Config

    config = Config()
    config.DueDates.timezone = zone
    resources = {"nbgrader": {"assignment": "ex01_backprop", "notebook": "n", "student": ".", "db_url": url}}
    return due_dates.ShowDueDate(config=config).preprocess(notebook, resources)[0]


def test_release_header_shows_the_gradebooks_due_date(gradebook):
    # nbgrader's own parsing: "<date> <time> <zone>" is stored in UTC.
    _set_due(gradebook, "2025-03-14 18:00:00 Europe/Berlin")
    notebook = _show(gradebook, _header_notebook(), "Europe/Berlin")
    assert notebook.cells[0].source.splitlines() == [
        "# Backprop by Hand — Part 9: Test", "",
        "**Due date:** Friday 14 March 2025, 18:00 CET (Europe/Berlin, UTC+01:00)", "", "Intro text."]
    assert notebook.metadata[due_date.DUE_DATE_KEY] == {"utc": "2025-03-14T17:00:00+00:00",
                                                         "timezone": "Europe/Berlin"}
    assert len(notebook.cells) == 2


def test_no_due_date_no_line(gradebook):
    notebook = _show(gradebook, _header_notebook())
    assert notebook.cells[0].source == "# Backprop by Hand — Part 9: Test\n\nIntro text."
    assert due_date.DUE_DATE_KEY not in notebook.metadata
    assert due_dates.assignment_due_date(gradebook, "no_such_assignment") is None


# --- Validate ----------------------------------------------------------------------------------

def _validated_notebook(due: dt.datetime | None, now: dt.datetime, monkeypatch, validating: bool = True):
    notebook = _header_notebook()
    if due is not None:
        notebook.metadata[due_date.DUE_DATE_KEY] = {"utc": due.isoformat(), "timezone": "UTC"}
    if validating:
        monkeypatch.setenv("NBGRADER_VALIDATING", "1")
    else:
        monkeypatch.delenv("NBGRADER_VALIDATING", raising=False)
    due_date.warn_if_late(notebook=notebook, now=now)
    return notebook


def test_validate_after_the_due_date_says_the_submission_will_be_late(monkeypatch):
    from nbgrader.validator import Validator

    notebook = _validated_notebook(DUE, DUE + dt.timedelta(days=1, hours=2), monkeypatch)
    validator = Validator()
    failed = validator._get_failed_cells(notebook)
    assert len(failed) == 1
    error = validator._extract_error(failed[0])
    assert "The due date has passed:\n  Friday 14 March 2025, 17:00 UTC\n  (1 day 2 hours ago)" in error
    assert "your submission will be recorded as late" in error
    # --invert (`make release`'s check of the blank release) never counts it as passed.
    assert validator._get_passed_cells(notebook) == []


@pytest.mark.parametrize("due, validating", [
    (DUE, False),                      # grading or plain execution: untouched
    (DUE + dt.timedelta(minutes=1), True),   # not due yet
    (None, True),                      # no due date in the notebook
])
def test_validate_is_quiet_otherwise(monkeypatch, due, validating):
    notebook = _validated_notebook(due, DUE, monkeypatch, validating)
    assert [cell.source for cell in notebook.cells] == [cell.source for cell in _header_notebook().cells]


def test_a_broken_due_date_record_is_ignored(monkeypatch):
    notebook = _header_notebook()
    notebook.metadata[due_date.DUE_DATE_KEY] = {"utc": "next Friday", "timezone": "UTC"}
    monkeypatch.setenv("NBGRADER_VALIDATING", "1")
    due_date.warn_if_late(notebook=notebook)
    assert len(notebook.cells) == 2


# --- late submissions ----------------------------------------------------------------------------

def test_a_late_submission_gets_a_note_and_an_extension_counts(gradebook):
    from nbgrader.api import Gradebook

    _set_due(gradebook, "2025-03-14 17:00:00 UTC")
    with Gradebook(gradebook) as book:
        book.add_submission("ex01_backprop", "alice", timestamp=dt.datetime(2025, 3, 14, 20, 30))
        book.add_submission("ex01_backprop", "bob", timestamp=dt.datetime(2025, 3, 14, 16, 0))

    def graded(student):
        resources = {"nbgrader": {"assignment": "ex01_backprop", "student": student, "notebook": "n",
                                  "db_url": gradebook}}
        return due_dates.NoteLateSubmission().preprocess(_header_notebook(), resources)[0]

    assert len(graded("bob").cells) == 2
    note = graded("alice").cells[0]
    assert note.metadata.tags == [due_dates.LATE_NOTE_TAG]
    assert note.source == ("**Late submission:** submitted Friday 14 March 2025, 20:30 UTC, 3 hours 30 minutes "
                           "after the due date, Friday 14 March 2025, 17:00 UTC.")

    with Gradebook(gradebook) as book:
        book.grant_extension("ex01_backprop", "alice", hours=2)
    assert "an extension of 2 hours included" in graded("alice").cells[0].source
    with Gradebook(gradebook) as book:
        book.grant_extension("ex01_backprop", "alice", days=1)
    assert len(graded("alice").cells) == 2


def test_extend_grants_one_student_an_extension(gradebook, tmp_path, monkeypatch, capsys):
    from nbgrader.api import Gradebook

    _set_due(gradebook, "2025-03-14 17:00:00 UTC")
    with Gradebook(gradebook) as book:
        book.add_submission("ex01_backprop", "alice", timestamp=dt.datetime(2025, 3, 15, 9, 0))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBGRADER_DB_URL", gradebook)
    assert due_dates.main(["extend", "ex01_backprop", "alice", "--days", "1"]) == 0
    assert "alice: due Saturday 15 March 2025, 17:00 UTC" in capsys.readouterr().out
    with Gradebook(gradebook) as book:
        submission = book.find_submission("ex01_backprop", "alice")
        assert submission.extension == dt.timedelta(days=1) and submission.total_seconds_late == 0
    assert due_dates.main(["extend", "ex01_backprop", "bob", "--days", "1"]) == 1   # nothing collected yet
    assert "collect" in capsys.readouterr().err


# --- when the solutions may be released ----------------------------------------------------------

def test_solutions_wait_for_the_due_date_the_grace_period_and_extensions(gradebook):
    from nbgrader.api import Gradebook

    start, reason = solutions.solutions_from(gradebook, "ex01_backprop", dt.timedelta())
    assert start is None and "no due date" in reason
    _set_due(gradebook, "2025-03-14 17:00:00 UTC")
    assert solutions.solutions_from(gradebook, "ex01_backprop", dt.timedelta())[0] == DUE
    assert solutions.solutions_from(gradebook, "ex01_backprop", dt.timedelta(days=2))[0] == DUE + dt.timedelta(days=2)
    with Gradebook(gradebook) as book:
        book.add_submission("ex01_backprop", "bob", timestamp=dt.datetime(2025, 3, 14, 16, 0))
        book.grant_extension("ex01_backprop", "bob", days=3)
    start, reason = solutions.solutions_from(gradebook, "ex01_backprop", dt.timedelta(days=2))
    assert start == DUE + dt.timedelta(days=3) and "bob's extension" in reason


def test_solutions_are_refused_before_their_time(gradebook, tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_DB_URL", gradebook)
    released, message = solutions.release_solutions(tmp_path, "ex01_backprop")
    assert not released and "no due date" in message and "FORCE=1" in message
    _set_due(gradebook, "2025-03-14 17:00:00 UTC")
    released, message = solutions.release_solutions(tmp_path, "ex01_backprop", after=dt.timedelta(days=1),
                                                    now=DUE + dt.timedelta(hours=20))
    assert not released
    assert "from Saturday 15 March 2025, 17:00 UTC (in 4 hours)" in message
    assert not (tmp_path / "release").exists()


def test_solution_notebook_keeps_solutions_and_drops_hidden_tests_and_mark_schemes():
    from conftest import SOURCE_DIR, hidden_test_lines
    from traitlets.config import Config

    for path in sorted(SOURCE_DIR.glob("*.ipynb")):
        notebook = solutions._solution_notebook(path, "ex01_backprop", Config())
        text = "\n".join(cell.source for cell in notebook.cells)
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "END MARK SCHEME"):
            assert marker not in text, (path.name, marker)
        assert not any(line in text for line in hidden_test_lines(path)), path.name
        source = nbformat.read(path, as_version=4)
        regions = [region.strip() for cell in source.cells
                   for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)]
        assert regions and all(region in text for region in regions), path.name
        assert notebook.cells[0].source.startswith("**Solutions** for the assignment `ex01_backprop`")
        assert all("nbgrader" not in cell.metadata for cell in notebook.cells)
        nbformat.validate(notebook)
    paper = solutions._solution_notebook(SOURCE_DIR / "01_paper_calculation.ipynb", "ex01_backprop", Config())
    text = "\n".join(cell.source for cell in paper.cells)
    assert "z1 = W1 * x + b1" in text and "show_given_values(assignment='ex01_backprop')" in text
    assert "formulas of the given values" in paper.cells[0].source
