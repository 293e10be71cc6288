"""Due dates: nbgrader's own, shown in the released notebooks and carried to Validate.

The due date lives where nbgrader keeps it, in the gradebook (``nbgrader db assignment
add ex01_backprop --duedate="2025-03-14 17:00 Europe/Berlin"`` or formgrader's edit
dialog; nbgrader stores it in UTC).  This module adds what nbgrader leaves out:

- :class:`ShowDueDate` (in ``GenerateAssignment.preprocessors``) writes it into each
  released notebook: a line under the notebook's title, shown in
  ``DueDates.timezone``, and the notebook metadata key :data:`DUE_DATE_KEY`.  With no due
  date, neither.
- :func:`warn_if_late` (``c.Execute.on_notebook_start``, an nbclient hook) makes
  ``nbgrader validate`` and JupyterLab's Validate button say that a submission made now
  will be late.  It reads the due date from the notebook's metadata: a student's server
  has no gradebook.
- :class:`NoteLateSubmission` (in ``Autograde.autograde_preprocessors``) puts a note at
  the top of a late submission's graded notebook, which formgrader's grading view and
  the feedback page show.  nbgrader records the lateness itself (the submission's
  timestamp against the due date plus any extension); the penalty is nbgrader's
  ``LateSubmissionPlugin``, configured in ``nbgrader_config.py``.
- ``python -m course.instructor.due_dates extend ASSIGNMENT STUDENT --days 2`` grants
  one student an extension with nbgrader's ``Gradebook.grant_extension``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from nbformat.v4 import new_code_cell, new_markdown_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Configurable

__all__ = ["DueDates", "ShowDueDate", "NoteLateSubmission", "warn_if_late", "assignment_due_date",
           "notebook_due_date", "format_due_date", "format_duration", "DUE_DATE_KEY", "HEADER_LABEL",
           "LATE_NOTICE_ID", "LATE_NOTE_TAG"]

DUE_DATE_KEY = "course_due_date"        # notebook metadata: {"utc": ISO 8601, "timezone": IANA name}
HEADER_LABEL = "**Due date:**"          # starts the header line
LATE_NOTICE_ID = "late_submission_notice"
LATE_NOTE_TAG = "late-submission-note"
SKIP_EXECUTION = "skip-execution"       # nbclient's NotebookClient.skip_cells_with_tag (its default)


class DueDates(Configurable):
    """How due dates are shown (``c.DueDates.timezone`` in ``nbgrader_config.py``)."""

    timezone = Unicode("UTC", help="IANA time zone due dates are shown in, e.g. Europe/Berlin").tag(config=True)


def assignment_due_date(db_url: str, assignment: str) -> dt.datetime | None:
    """The assignment's due date from the gradebook (aware, UTC), or None when it has none."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        try:
            duedate = gradebook.find_assignment(assignment).duedate
        except MissingEntry:
            return None
    return None if duedate is None else duedate.replace(tzinfo=dt.timezone.utc)


def format_due_date(due: dt.datetime, zone: str = "UTC") -> str:
    """``due`` as a person reads it, in ``zone``: ``Friday 14 March 2025, 18:00 CET (Europe/Berlin, UTC+01:00)``."""
    local = due.astimezone(ZoneInfo(zone))
    when = f"{local:%A} {local.day} {local:%B %Y, %H:%M}"
    if zone == "UTC":
        return f"{when} UTC"
    offset = local.strftime("%z")
    return f"{when} {local.tzname()} ({zone}, UTC{offset[:3]}:{offset[3:]})"


def format_duration(delta: dt.timedelta) -> str:
    """A duration in days, hours and minutes (``2 days 3 hours``, ``5 minutes``)."""
    minutes = int(delta.total_seconds() // 60)
    parts = [(minutes // 1440, "day"), (minutes // 60 % 24, "hour"), (minutes % 60, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(words[:2]) or "less than a minute"


def notebook_due_date(notebook) -> tuple[dt.datetime, str] | None:
    """(due date, time zone) as :class:`ShowDueDate` wrote them into ``notebook``, or None."""
    record = notebook.get("metadata", {}).get(DUE_DATE_KEY)
    try:
        due = dt.datetime.fromisoformat(record["utc"])
        zone = str(record.get("timezone") or "UTC")
        ZoneInfo(zone)
    except (TypeError, KeyError, ValueError, LookupError):
        return None
    return (due if due.tzinfo else due.replace(tzinfo=dt.timezone.utc)), zone


class ShowDueDate(NbGraderPreprocessor):
    """``generate_assignment``: the gradebook's due date under each notebook's title and in its metadata."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        nb.metadata.pop(DUE_DATE_KEY, None)
        due = assignment_due_date(info["db_url"], info["assignment"])
        if due is None:
            return nb, resources
        zone = DueDates(parent=self).timezone
        nb.metadata[DUE_DATE_KEY] = {"utc": due.isoformat(), "timezone": zone}
        header = next((cell for cell in nb.cells if cell.cell_type == "markdown"), None)
        line = f"{HEADER_LABEL} {format_due_date(due, zone)}"
        if header is None:
            nb.cells.insert(0, new_markdown_cell(line))
            return nb, resources
        lines = header.source.splitlines()
        title = next((i for i, text in enumerate(lines) if text.startswith("# ")), -1)
        lines[title + 1:title + 1] = ["", line] if title >= 0 else [line, ""]
        header.source = "\n".join(lines)
        return nb, resources


def warn_if_late(notebook, now: dt.datetime | None = None, **_) -> None:
    """nbclient hook (``c.Execute.on_notebook_start``): while nbgrader validates a notebook
    past its due date, add a failed check that says the submission will be late.

    nbgrader's Validate dialog and ``nbgrader validate`` list the failed graded cells, so
    the warning is one more of them: a code cell, tagged for nbclient to skip, whose
    recorded output is the message on stderr (worth a point it can never earn, so
    ``--invert`` never counts it as passed).  It is added to the copy Validate executes,
    never to the student's file.  (Not ``on_notebook_complete``: nbconvert's
    ``ExecutePreprocessor``, which nbgrader runs, never calls it.)  Grading and plain
    execution are left alone.
    """
    if os.environ.get("NBGRADER_VALIDATING") != "1":
        return
    found = notebook_due_date(notebook)
    if found is None:
        return
    due, zone = found
    now = now or dt.datetime.now(dt.timezone.utc)
    if now <= due:
        return
    # Short lines: `nbgrader validate` cuts longer ones.
    message = (f"The due date has passed:\n  {format_due_date(due, zone)}\n  ({format_duration(now - due)} ago).\n"
               "If you submit now, your submission will be recorded as late\n"
               "(unless your instructor gave you an extension).\n")
    cell = new_code_cell(f"# Due date: {format_due_date(due, zone)}", metadata={
        "tags": [SKIP_EXECUTION], "nbgrader": {"grade": True, "grade_id": LATE_NOTICE_ID, "points": 1,
                                               "solution": False, "locked": True, "schema_version": 3}})
    cell.outputs = [new_output("stream", name="stderr", text=message)]
    notebook.cells.append(cell)


class NoteLateSubmission(NbGraderPreprocessor):
    """``autograde``: a note at the top of a late submission's notebook (formgrader and feedback show it)."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            try:
                submission = gradebook.find_submission(info["assignment"], info["student"])
            except MissingEntry:
                return nb, resources
            late, timestamp, duedate, extension = (submission.total_seconds_late, submission.timestamp,
                                                   submission.duedate, submission.extension)
        if not late:
            return nb, resources
        zone = DueDates(parent=self).timezone
        utc = dt.timezone.utc
        granted = f" (an extension of {format_duration(extension)} included)" if extension else ""
        nb.cells.insert(0, new_markdown_cell(
            f"**Late submission:** submitted {format_due_date(timestamp.replace(tzinfo=utc), zone)}, "
            f"{format_duration(dt.timedelta(seconds=late))} after the due date, "
            f"{format_due_date(duedate.replace(tzinfo=utc), zone)}{granted}.",
            metadata={"tags": [LATE_NOTE_TAG]}))
        return nb, resources


def main(argv: list[str] | None = None) -> int:
    """``extend ASSIGNMENT STUDENT --days/--hours/--minutes``: one student's extension
    (nbgrader keeps it on the student's submission, so it needs one: collect and
    autograde first; without a length, the extension is removed).  ``show ASSIGNMENT``
    prints the due date."""
    from nbgrader.api import Gradebook, MissingEntry

    from .nbgrader_cli import gradebook_url

    parser = argparse.ArgumentParser(prog="python -m course.instructor.due_dates", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print the assignment's due date")
    show.add_argument("assignment")
    extend = commands.add_parser("extend", help="grant one student an extension")
    extend.add_argument("assignment")
    extend.add_argument("student")
    for unit in ("weeks", "days", "hours", "minutes"):
        extend.add_argument(f"--{unit}", type=float, default=0)
    args = parser.parse_args(argv)
    db_url = gradebook_url(Path.cwd())
    due = assignment_due_date(db_url, args.assignment)
    if args.command == "show":
        print(format_due_date(due) if due else f"{args.assignment} has no due date")
        return 0
    with Gradebook(db_url) as gradebook:
        try:
            gradebook.grant_extension(args.assignment, args.student, weeks=args.weeks, days=args.days,
                                      hours=args.hours, minutes=args.minutes)
        except MissingEntry:
            print(f"{args.student} has no collected submission of {args.assignment} yet: collect and "
                  "autograde it first (nbgrader keeps extensions on the submission).", file=sys.stderr)
            return 1
        submission = gradebook.find_submission(args.assignment, args.student)
        print(f"{args.student}: due {format_due_date(submission.duedate.replace(tzinfo=dt.timezone.utc))}"
              if submission.duedate else f"{args.student}: {args.assignment} has no due date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
