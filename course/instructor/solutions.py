"""``make solutions``: the worked solutions, released through the exchange after the due date.

The solutions are an nbgrader assignment of their own, ``<assignment>_solutions``,
released with ``nbgrader release_assignment`` so students fetch it from the Assignment
List like any other.  It is built from ``source/<assignment>/``:

- the solutions stay in place (their ``### BEGIN/END SOLUTION`` lines dropped), hidden
  tests and mark schemes are removed by nbgrader's ``ClearHiddenTests`` and
  ``ClearMarkScheme``, and the nbgrader cell metadata goes (nothing here is graded);
- the given-values calls are stamped with the original assignment id
  (:class:`course.grader.own_values.StampAssignment`), so with per-student values on, a
  student who runs notebook 1's solutions works their own numbers (its answers are
  formulas of the given values);
- a header cell says what the notebook is, and every notebook is executed, figures and
  widget state saved; any error or stderr output stops the release.

When: not before the due date in the gradebook plus ``--after`` (``SOLUTIONS_AFTER``), nor
before the end of any extension granted in the gradebook; before that, or with no due
date, it refuses and exits 1 unless ``--force`` (``FORCE=1``).  Running it again
rebuilds and re-releases the same notebooks (``release_assignment --force``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

from course.grader.cells import grade_id
from course.kernel.environment import QUIET_TENSORFLOW, set_defaults
from course.instructor.due_dates import assignment_due_date, format_due_date, format_duration
from course.instructor.nbgrader_cli import gradebook_url, nbgrader, nbgrader_env
from course.instructor.synthetic import strip_solution_delimiters

__all__ = ["SUFFIX", "parse_duration", "solutions_from", "build_solutions", "release_solutions", "main"]

SUFFIX = "_solutions"
SOLUTIONS_KEY = "course_solutions"      # notebook metadata: {"assignment": the assignment solved}
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str | None) -> dt.timedelta:
    """``2d``, ``36h``, ``1d12h``, ``90m``, ``1w`` (or empty: none) as a timedelta."""
    text = (text or "").strip().lower().replace(" ", "")
    if not text:
        return dt.timedelta()
    parts = re.findall(r"(\d+(?:\.\d+)?)([wdhm])", text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"not a duration: {text!r} (use e.g. 2d, 36h, 1d12h, 90m, 1w)")
    return dt.timedelta(**{_UNITS[unit]: float(number) for number, unit in parts})


def solutions_from(db_url: str, assignment: str, after: dt.timedelta) -> tuple[dt.datetime | None, str]:
    """(earliest release time, or None without a due date; what it is made of, in words)."""
    from nbgrader.api import Gradebook, MissingEntry

    due = assignment_due_date(db_url, assignment)
    if due is None:
        return None, f"{assignment} has no due date in the gradebook"
    start, reasons = due + after, [f"the due date is {format_due_date(due)}"]
    if after:
        reasons.append(f"plus {format_duration(after)} (SOLUTIONS_AFTER)")
    with Gradebook(db_url) as gradebook:
        try:
            extended = [(s.duedate, s.student.id) for s in gradebook.find_assignment(assignment).submissions
                        if s.extension]
        except MissingEntry:
            extended = []
    if extended:
        last, student = max(extended)
        last = last.replace(tzinfo=dt.timezone.utc)
        if last > start:
            start = last
            reasons.append(f"and {student}'s extension runs until {format_due_date(last)}")
    return start, " ".join(reasons)


def _config(root: Path):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def _header(assignment: str, notebook) -> str:
    text = (f"**Solutions** for the assignment `{assignment}`, released after its due date. These are "
            "the instructor's answers, run top to bottom with the visible checks; the hidden tests and "
            "the marking guides are not included. Compare them with your own attempt (your submission "
            "is not changed by fetching them).")
    if any(grade_id(cell) == "paper_given_values" for cell in notebook.cells):
        text += ("\n\nThe answers below are **formulas of the given values**. The outputs shown were "
                 "computed with the exercise's values: run all cells (*Kernel → Restart Kernel and Run "
                 "All Cells*) on the course's JupyterHub and they work out **your own** values.")
    return text


def _solution_notebook(path: Path, assignment: str, config) -> nbformat.NotebookNode:
    """``path`` (a source notebook) as a solution notebook, not yet executed."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme

    from course.grader.own_values import StampAssignment

    notebook = nbformat.read(path, as_version=4)
    resources = {"nbgrader": {"assignment": assignment, "notebook": path.stem, "student": "."}}
    for step in (StampAssignment, ClearHiddenTests, ClearMarkScheme):
        notebook, resources = step(config=config).preprocess(notebook, resources)
    header = new_markdown_cell(_header(assignment, notebook))
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type != "raw":
            cell.source = strip_solution_delimiters(cell.source)
    notebook.cells.insert(0, header)
    notebook.metadata[SOLUTIONS_KEY] = {"assignment": assignment}
    return notebook


def _kernel_env(root: Path) -> dict[str, str]:
    """A student's kernel environment: the course importable, TensorFlow quiet, not grading
    (sliders and figures render only outside nbgrader, course/widgets/_env.py), and no
    student identity: the released outputs show the exercise's values, as the header says,
    not those of the instructor who runs ``make solutions`` on a hub."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    for name in ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "JUPYTERHUB_USER"):
        env.pop(name, None)
    return set_defaults(QUIET_TENSORFLOW, env)


def _execute(notebook: nbformat.NotebookNode, folder: Path, root: Path, name: str) -> None:
    """Run ``notebook`` in ``folder`` as a student's kernel would; fail on any error or stderr."""
    from nbclient import NotebookClient

    client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=_kernel_env(root))
    noisy = [(index, output.get("ename") or output.get("text", "")[:300])
             for index, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])
             if output.output_type == "error" or (output.output_type == "stream" and output.name == "stderr")]
    if noisy:
        raise RuntimeError(f"{name}: the solutions wrote errors or stderr (cell index, output): {noisy}")


def build_solutions(root: Path, assignment: str) -> Path:
    """Write ``release/<assignment>_solutions/`` from ``source/<assignment>/``; returns the folder."""
    config = _config(root)
    target = root / "release" / f"{assignment}{SUFFIX}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    sources = sorted((root / "source" / assignment).glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks in {root / 'source' / assignment}")
    for path in sources:
        notebook = _solution_notebook(path, assignment, config)
        _execute(notebook, target, root, path.name)
        nbformat.write(notebook, target / path.name)
    return target


def release_solutions(root: Path, assignment: str, *, after: dt.timedelta = dt.timedelta(),
                      force: bool = False, now: dt.datetime | None = None) -> tuple[bool, str]:
    """Build and release the solutions if their time has come (or ``force``): (released, message)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    start, reason = solutions_from(gradebook_url(root), assignment, after)
    if not force and (start is None or now < start):
        hint = ("set one with `nbgrader db assignment add " f"{assignment} --duedate=\"YYYY-MM-DD HH:MM Zone\"`"
                if start is None else f"they can be released from {format_due_date(start)} "
                f"(in {format_duration(start - now)})")
        return False, (f"Not releasing the solutions of {assignment}: {reason}; {hint}. "
                       "FORCE=1 releases them now.")
    build_solutions(root, assignment)
    nbgrader(root, "release_assignment", f"{assignment}{SUFFIX}", "--force", env=nbgrader_env(root))
    return True, (f"Released {assignment}{SUFFIX} through the exchange ({reason}"
                  f"{'; forced' if force else ''}): students fetch it from the Assignment List.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.instructor.solutions",
                                     description="Release the assignment's solutions after its due date.")
    parser.add_argument("assignment")
    parser.add_argument("--after", default="", help="grace period after the due date (2d, 36h, 90m)")
    parser.add_argument("--force", action="store_true", help="release now, due date or not")
    args = parser.parse_args(argv)
    try:
        after = parse_duration(args.after)
    except ValueError as error:
        parser.error(str(error))
    released, message = release_solutions(Path.cwd(), args.assignment, after=after, force=args.force)
    print(message, file=sys.stdout if released else sys.stderr)
    return 0 if released else 1


if __name__ == "__main__":
    sys.exit(main())
