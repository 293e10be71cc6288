"""The due date a released notebook carries, and Validate's notice that a submission will be late.

``make release`` writes the gradebook's due date into each released notebook's metadata
(:data:`DUE_DATE_KEY`, by :class:`course.instructor.due_dates.ShowDueDate`): a student's
server has no gradebook, so this is where Validate reads it.  :func:`warn_if_late` is
the nbclient hook ``nbgrader_config.py`` (and the hub's shared one) sets as
``c.Execute.on_notebook_start``.  This module is on the student side: it runs in the
student's Jupyter server, imports nothing of the grader, and knows no answer.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

__all__ = ["warn_if_late", "notebook_due_date", "format_due_date", "format_duration", "DUE_DATE_KEY",
           "LATE_NOTICE_ID", "SKIP_EXECUTION"]

DUE_DATE_KEY = "course_due_date"        # notebook metadata: {"utc": ISO 8601, "timezone": IANA name}
LATE_NOTICE_ID = "late_submission_notice"
SKIP_EXECUTION = "skip-execution"       # nbclient's NotebookClient.skip_cells_with_tag (its default)


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
    """(due date, time zone) as ``make release`` wrote them (:class:`course.instructor.due_dates.ShowDueDate`) into ``notebook``, or None."""
    record = notebook.get("metadata", {}).get(DUE_DATE_KEY)
    try:
        due = dt.datetime.fromisoformat(record["utc"])
        zone = str(record.get("timezone") or "UTC")
        ZoneInfo(zone)
    except (TypeError, KeyError, ValueError, LookupError):
        return None
    return (due if due.tzinfo else due.replace(tzinfo=dt.timezone.utc)), zone


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
    from nbformat.v4 import new_code_cell, new_output

    # Short lines: `nbgrader validate` cuts longer ones.
    message = (f"The due date has passed:\n  {format_due_date(due, zone)}\n  ({format_duration(now - due)} ago).\n"
               "If you submit now, your submission will be recorded as late\n"
               "(unless your instructor gave you an extension).\n")
    cell = new_code_cell(f"# Due date: {format_due_date(due, zone)}", metadata={
        "tags": [SKIP_EXECUTION], "nbgrader": {"grade": True, "grade_id": LATE_NOTICE_ID, "points": 1,
                                               "solution": False, "locked": True, "schema_version": 3}})
    cell.outputs = [new_output("stream", name="stderr", text=message)]
    notebook.cells.append(cell)
