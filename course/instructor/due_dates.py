"""Due dates: nbgrader's own, shown in the released notebooks and carried to Validate.

The due date lives where nbgrader keeps it, in the gradebook (``nbgrader db assignment
add ex01_backprop --duedate="2025-03-14 17:00 Europe/Berlin"`` or formgrader's edit
dialog; nbgrader stores it in UTC).  This module adds what nbgrader leaves out:

- :class:`ShowDueDate` (in ``GenerateAssignment.preprocessors``) writes it into each
  released notebook: a line under the notebook's title, shown in
  ``DueDates.timezone``, and the notebook metadata key :data:`DUE_DATE_KEY`.  With no due
  date, neither.
- :func:`course.kernel.due_date.warn_if_late` (``c.Execute.on_notebook_start``, an nbclient
  hook, on the student side) makes ``nbgrader validate`` and JupyterLab's Validate button
  say that a submission made now will be late, from the notebook's metadata.
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
import sys
from pathlib import Path

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Configurable

from course.kernel.due_date import DUE_DATE_KEY, format_due_date, format_duration

__all__ = ["DueDates", "ShowDueDate", "NoteLateSubmission", "assignment_due_date", "HEADER_LABEL",
           "LATE_NOTE_TAG", "main"]

HEADER_LABEL = "**Due date:**"          # starts the header line
LATE_NOTE_TAG = "late-submission-note"


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

    from course.instructor.nbgrader_cli import gradebook_url

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
