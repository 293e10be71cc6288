"""``make report``: what the class got wrong, read from ``autograded/`` and the gradebook.

The grader writes each test cell's :class:`course.checks.result.Result` into the cell's
metadata (``course.result``, :mod:`course.grader.judging`), so nothing is re-run here:
the report reads it back as a ``Result`` (:meth:`~course.kernel.result.Result.from_json`;
a record that is not one counts as no record) and each autograded test cell gives one row

    student, notebook, test (the cell's grade_id), outcome, misconception, score, max_score

with the outcome ``passed``, ``passed_ecf`` (right, from the student's own wrong earlier
value) or ``failed``.  The gradebook's score is the truth about points (a teaching
assistant's manual override or an integrity zero wins over the recorded outcome); the
record adds what the score cannot say: error carried forward and the misconception.
Root causes are counted once: a step computed consistently from an earlier wrong one is
``passed_ecf``, never a second misconception.

Written to ``reports/``:

- ``misconceptions.csv`` — ``notebook, test, outcome, misconception, students, label``
  (the label of the id in :mod:`course.kernel.misconceptions`);
- ``student_outcomes.csv`` — one row per student and test (names appear only here);
- ``class_report.html`` — shares right / carried / wrong per step, the most common
  misconceptions (each id beside its label; failures no misconception explains, such as
  a grader error, apart), a discrimination index per test, a step × outcome heat map and
  a misconception bar chart as inline SVG (readable offline, no student names).

:func:`class_panel` is the same two pictures as a widget for the classroom explorer.

``python -m course.instructor.report ex01_backprop [--root DIR]``.
"""

from __future__ import annotations

import argparse
import collections
import csv
import html
import io
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course.grader.cells import grade_id, is_autograder_test
from course.checks.result import RESULT_METADATA, Outcome, Result
from course.kernel.misconceptions import NOT_RUN, OVERRIDDEN, is_misconception, label
from course.instructor.nbgrader_cli import gradebook_url

__all__ = ["Row", "collect", "misconception_counts", "discrimination", "write_report", "panel_html", "class_panel",
           "course_root", "summary_text",
           "OUTCOMES", "RIGHT", "NOT_SUBMITTED", "NOT_RUN", "OVERRIDDEN", "UNRECOGNISED"]

NOT_SUBMITTED = "not_submitted"         # the student handed in no such notebook
# passed, passed_ecf, failed, not_answered (course/checks/result.py), and not_submitted.
OUTCOMES = (*(outcome.value for outcome in Outcome), NOT_SUBMITTED)
RIGHT = (Outcome.PASSED.value, Outcome.CARRIED.value)
# NOT_RUN: the cell failed before its check (undefined name, timeout, …); OVERRIDDEN: the
# check passed, a grader took points off in formgrader (both declared in course.kernel.misconceptions).
UNRECOGNISED = ""                       # failed, no known misconception explains it
# The metadata key course/grader/submissions.py sets on a notebook graded although not handed in.
NOT_SUBMITTED_KEY = "course_not_submitted"
_OUTCOME_LABEL = {"passed": "right", "passed_ecf": "right by error carried forward", "failed": "wrong",
                  "not_answered": "not answered", NOT_SUBMITTED: "not handed in"}
# Okabe–Ito vermilion: readable for colour-blind viewers and in greyscale.
_FAILED_COLOUR = "#D55E00"


@dataclass(frozen=True)
class Row:
    """One student's outcome on one autograded test."""

    student: str
    notebook: str
    test: str
    outcome: str
    misconception: str
    score: float
    max_score: float


def _result(cell) -> Result | None:
    """The grader's result for this test cell (course/grader/judging.py), or None when
    there is none or its record is garbled (not a result, an unknown outcome, an
    undeclared misconception): then the score alone tells the outcome."""
    metadata = cell.get("metadata")
    course = metadata.get(RESULT_METADATA) if isinstance(metadata, dict) else None
    record = course.get("result") if isinstance(course, dict) else None
    if record is None:
        return None
    try:
        return Result.from_json(record)
    except ValueError:
        return None


def _failure_kind(cell) -> str:
    outputs = cell.get("outputs")
    errors = [output for output in outputs if isinstance(output, dict) and output.get("output_type") == "error"] \
        if isinstance(outputs, list) else []
    return NOT_RUN if errors else UNRECOGNISED


def _scores(db_url: str, assignment: str) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(student, notebook, grade_id) -> (score, max_score) of every graded cell."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(db_url) as gradebook:
        try:
            submissions = gradebook.assignment_submissions(assignment)
        except MissingEntry:
            return scores
        for submission in submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    scores[(submission.student_id, notebook.name, grade.name)] = (
                        float(grade.score or 0.0), float(grade.max_score or 0.0))
    return scores


def _outcome(result: Result | None, cell, score: float, max_score: float) -> tuple[str, str]:
    """(outcome, misconception id or "") of one test: the grader's ``result`` unless the
    gradebook's score says a grader changed it by hand; the score alone without a result."""
    full = max_score > 0 and score >= max_score - 1e-9
    if result is None:  # no record, or not one the grader wrote: the score alone tells
        return ("passed", "") if full else ("failed", _failure_kind(cell))
    if result.passed and not full:          # a grader took the points off by hand
        return "failed", OVERRIDDEN
    if not result.passed and full:          # a grader gave the points by hand
        return "passed", ""
    return result.outcome.value, (result.misconception or "") if result.outcome is Outcome.FAILED else ""


def collect(root: Path, assignment: str, db_url: str | None = None) -> list[Row]:
    """Every student's outcome on every autograded test, from ``root/autograded``."""
    paths = sorted((root / "autograded").glob(f"*/{assignment}/*.ipynb"))
    if not paths:
        return []   # nothing graded yet: do not even open (and so create) a gradebook
    scores = _scores(db_url or gradebook_url(root), assignment)
    rows = []
    for path in paths:
        student, notebook_name = path.parent.parent.name, path.stem
        notebook = nbformat.read(path, as_version=4)
        handed_in = not notebook.metadata.get(NOT_SUBMITTED_KEY)
        for cell in notebook.cells:
            if not is_autograder_test(cell):
                continue
            test = grade_id(cell)
            score, max_score = scores.get((student, notebook_name, test), (0.0, 0.0))
            outcome, misconception = (_outcome(_result(cell), cell, score, max_score) if handed_in
                                      else (NOT_SUBMITTED, ""))
            rows.append(Row(student, notebook_name, test, outcome, misconception, score, max_score))
    return rows


def misconception_counts(rows: list[Row]) -> list[tuple[str, str, str, str, int]]:
    """``(notebook, test, outcome, misconception, students)``, one per combination seen."""
    counts = collections.Counter((r.notebook, r.test, r.outcome, r.misconception) for r in rows)
    return sorted(((*key, n) for key, n in counts.items()), key=lambda item: (item[0], item[1], item[2], item[3]))


def discrimination(rows: list[Row], fraction: float = 0.27) -> dict[tuple[str, str], float | None]:
    """Discrimination index per test: share right (incl. carried) among the top ``fraction``
    of students by total autograded score minus the share among the bottom ``fraction``.
    None when the class is too small to form two groups (fewer than 4 students)."""
    totals = collections.defaultdict(float)
    for row in rows:
        totals[row.student] += row.score
    ranked = sorted(totals, key=lambda student: (totals[student], student))
    size = int(round(len(ranked) * fraction))
    tests = sorted({(row.notebook, row.test) for row in rows})
    if len(ranked) < 4 or size < 1:
        return {test: None for test in tests}
    lower, upper = set(ranked[:size]), set(ranked[-size:])
    right = {(r.student, r.notebook, r.test): r.outcome in RIGHT for r in rows}

    def share(group: set[str], notebook: str, test: str) -> float:
        return sum(right.get((student, notebook, test), False) for student in group) / len(group)

    return {(notebook, test): share(upper, notebook, test) - share(lower, notebook, test)
            for notebook, test in tests}


# --------------------------------------------------------------------------- pictures
def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _shares(rows: list[Row]) -> dict[tuple[str, str], dict[str, float]]:
    per_test = collections.defaultdict(collections.Counter)
    for row in rows:
        per_test[(row.notebook, row.test)][row.outcome] += 1
    # In the order of the notebooks and of their cells (rows come in that order).
    return {test: {o: counts[o] / sum(counts.values()) for o in OUTCOMES}
            for test, counts in sorted(per_test.items(), key=lambda item: item[0][0])}


def heat_map_svg(rows: list[Row]) -> str:
    """Step × outcome heat map (share of students), as inline SVG."""
    import matplotlib
    from matplotlib.figure import Figure

    shares = _shares(rows)
    tests = list(shares)
    figure = Figure(figsize=(6.5, 0.28 * len(tests) + 1.4))
    ax = figure.add_subplot()
    values = [[shares[t][o] for o in OUTCOMES] for t in tests]
    image = ax.imshow(values, aspect="auto", cmap=matplotlib.colormaps["cividis"], vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(OUTCOMES)), [textwrap.fill(_OUTCOME_LABEL[o], 10) for o in OUTCOMES])
    ax.set_yticks(range(len(tests)), [f"{nb[:2]} {test.removeprefix('test_')}" for nb, test in tests])
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            ax.text(j, i, f"{value:.0%}", ha="center", va="center", fontsize=7,
                    color="white" if value < 0.6 else "black")
    ax.set_xlabel("outcome")
    ax.set_ylabel("step (notebook, test)")
    figure.colorbar(image, ax=ax, label="share of students")
    return _svg(figure)


def _common(rows: list[Row], misconceptions: bool = True) -> list[tuple[str, str, str, int]]:
    """``(notebook, test, id, students)`` of the failed tests, most students first: those a
    declared misconception explains, or (``misconceptions=False``) those with an id that is
    none (a grader error, a test that could not run, points taken off by hand)."""
    counts = collections.Counter((r.notebook, r.test, r.misconception) for r in rows
                                 if r.outcome == "failed" and r.misconception
                                 and is_misconception(r.misconception) == misconceptions)
    return [(*key, n) for key, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def bar_chart_svg(rows: list[Row], top: int = 12) -> str:
    """The most common misconceptions (failed tests), each id with its label, as inline SVG."""
    from matplotlib.figure import Figure

    common = [((nb, test, m), n) for nb, test, m, n in _common(rows)[:top]][::-1]
    figure = Figure(figsize=(7.0, 0.5 * max(len(common), 1) + 1.2))
    ax = figure.add_subplot()
    labels = [f"{nb[:2]} {test.removeprefix('test_')}: {m}\n{textwrap.shorten(label(m), 90)}"
              for (nb, test, m), _ in common]
    ax.barh(range(len(common)), [n for _, n in common], color=_FAILED_COLOUR)
    ax.set_yticks(range(len(common)), labels, fontsize=7)
    ax.set_xlabel("students")
    ax.set_title("most common misconceptions")
    return _svg(figure)


# --------------------------------------------------------------------------- outputs
_NUMBER = re.compile(r"[-+]?[0-9.]+%?|–")


def _table(headers: list[str], body: list[list[str]]) -> str:
    """An HTML table of already escaped cells; numbers are right-aligned."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    rows = "".join("<tr>" + "".join(f"<td class='n'>{cell}</td>" if _NUMBER.fullmatch(cell) else f"<td>{cell}</td>"
                                    for cell in row) + "</tr>" for row in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _labelled_table(common: list[tuple[str, str, str, int]]) -> str:
    return _table(["notebook", "test", "id", "what it means", "students"],
                  [[html.escape(nb), html.escape(t), f"<code>{html.escape(m)}</code>", html.escape(label(m)), str(n)]
                   for nb, t, m, n in common])


def panel_html(rows: list[Row]) -> str:
    """The heat map and the misconception chart, for the classroom explorer (no names)."""
    if not rows:
        return "<p>No graded submissions yet: after <code>make autograde</code> this shows what the class got wrong.</p>"
    return (f'<div class="class-report-panel"><figure>{heat_map_svg(rows)}</figure>'
            f"<figure>{bar_chart_svg(rows)}</figure></div>")


def summary_text(rows: list[Row], top: int = 10) -> str:
    """The most common misconceptions and how many steps were right by error carried
    forward, as plain text (for ``make demo``'s output)."""
    counts = misconception_counts(rows)
    failed = sorted((c for c in counts if c[2] == "failed"), key=lambda c: (-c[4], c[0], c[1]))
    carried = sum(c[4] for c in counts if c[2] == "passed_ecf")
    lines = [f"{n:4d}  {nb}  {test}  " + (f"{m} ({label(m)})" if m else "(not recognised)")
             for nb, test, _, m, n in failed[:top]]
    return "\n".join(lines or ["(no wrong steps)"]) + f"\n{carried} step(s) right by error carried forward."


def course_root(start: Path | str | None = None) -> Path:
    """The folder holding ``nbgrader_config.py``: ``start`` (default: the working folder)
    or the nearest of its parents (the explorer runs in ``demos/``), else ``start``."""
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    return next((folder for folder in (here, *here.parents) if (folder / "nbgrader_config.py").is_file()), here)


def class_panel(root: Path | str | None = None, assignment: str = "ex01_backprop"):
    """An ``ipywidgets.HTML`` with the class's heat map and misconception chart, for the
    classroom explorer (``demos/``) to show in the next lecture: no names, no re-run.
    ``root`` defaults to :func:`course_root`."""
    import ipywidgets

    return ipywidgets.HTML(panel_html(collect(course_root(root), assignment)))


def report_html(rows: list[Row], assignment: str) -> str:
    """The whole class report page (self-contained: inline CSS and SVG, no student names)."""
    students = len({r.student for r in rows})
    title = f"Class report: {html.escape(assignment)}"
    style = ("body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
             "td,th{border:1px solid #999;padding:.2em .5em;text-align:left}td.n{text-align:right}"
             "svg{max-width:100%;height:auto}")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
             f"<style>{style}</style></head><body><h1>{title}</h1>"]
    if not rows:
        parts.append("<p>No graded submissions yet: nothing to report.</p></body></html>")
        return "".join(parts)
    parts.append(f"<p>{students} students. Right by error carried forward: the step was done "
                 "correctly from the student's own wrong earlier value; the mistake is counted once, "
                 "at the step where it was made.</p>")
    shares, index = _shares(rows), discrimination(rows)
    body = [[html.escape(nb), html.escape(test), *(f"{shares[(nb, test)][o]:.0%}" for o in OUTCOMES),
             "–" if index[(nb, test)] is None else f"{index[(nb, test)]:+.2f}"] for nb, test in shares]
    parts.append("<h2>Per step</h2>")
    parts.append(_table(["notebook", "test", *(_OUTCOME_LABEL[o] for o in OUTCOMES), "discrimination"], body))
    parts.append(f"<h2>Heat map</h2><figure id='heat-map'>{heat_map_svg(rows)}</figure>")
    parts.append("<h2>Most common misconceptions</h2>")
    parts.append(_labelled_table(_common(rows)[:20]))
    parts.append(f"<figure id='misconception-chart'>{bar_chart_svg(rows)}</figure>")
    others = _common(rows, misconceptions=False)
    if others:
        parts.append("<h2>Wrong for other reasons</h2><p>Not misconceptions: tests the grader could not "
                     "judge, cells that failed before their check, points taken off by hand.</p>")
        parts.append(_labelled_table(others))
    parts.append("<p>Discrimination index: share right among the top 27 % of students (by total "
                 "autograded score) minus the share among the bottom 27 %.</p></body></html>")
    return "".join(parts)


def write_report(root: Path, assignment: str, db_url: str | None = None, out: Path | None = None,
                 rows: list[Row] | None = None) -> dict[str, Path]:
    """Write the three report files into ``out`` (default ``root/reports``); returns their paths.

    ``rows`` are :func:`collect`'s (collected here when not given)."""
    rows = collect(root, assignment, db_url) if rows is None else rows
    out = out or root / "reports"
    out.mkdir(parents=True, exist_ok=True)
    paths = {"misconceptions": out / "misconceptions.csv", "students": out / "student_outcomes.csv",
             "html": out / "class_report.html"}
    with open(paths["misconceptions"], "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["notebook", "test", "outcome", "misconception", "students", "label"])
        writer.writerows([*count, label(count[3])] for count in misconception_counts(rows))
    with open(paths["students"], "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "notebook", "test", "outcome", "misconception", "score", "max_score"])
        writer.writerows([r.student, r.notebook, r.test, r.outcome, r.misconception, f"{r.score:g}",
                          f"{r.max_score:g}"] for r in rows)
    paths["html"].write_text(report_html(rows, assignment), encoding="utf-8")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="ex01_backprop")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    for name, path in write_report(args.root.resolve(), args.assignment).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
