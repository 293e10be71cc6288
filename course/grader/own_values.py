"""Grading notebook 1 with the graded student's own values (nbgrader preprocessors).

Student code runs in the grading kernel before the hidden tests and can change
``os.environ`` or any module's state, so the values a student is graded against are
decided here, in the nbgrader process, from the student id nbgrader grades under
(``resources["nbgrader"]["student"]``), and reach the kernel only as literals in the
instructor's own cells:

- the given-values cell ``given = show_given_values()`` becomes
  ``given = show_given_values({...}, student="...")``, so ``x, y, W1, …`` in the
  grading kernel are the student's (an answer typed as ``W1 * x + b1`` evaluates as on
  the student's screen);
- every ``check_quantity("z1", globals())`` (and hidden ``…, hidden=True)``) gets
  ``given={...}`` added, so expected values, error carried forward, hint readings and
  misconceptions are all computed from them.

Error carried forward forgives slips, not someone else's values: when the numbers typed
into the answer cells do not follow from the student's values at two or more of the
steps that read given values (:func:`course.checks.paper.answers_from_other_values`),
the tests get ``carry_forward=False`` and a note says why.  That verdict needs every
answer at once, which a test cell in the kernel does not have when it runs (later
answers are not executed yet), so it is made here from the answer cells' source:
answers typed as plain numbers (anything else is left out of the verdict).

The student's kernel derives the same values as the grader because
:class:`StampAssignment` (first of ``GenerateAssignment.preprocessors``) writes the
assignment id into the released notebook's ``show_given_values()`` call.

Grading takes two passes, because nbgrader clears outputs before it executes:

1. :class:`StashShownValues` (first of ``Autograde.sanitize_preprocessors``, before
   ``ClearOutput``) copies what the submitted notebook recorded it showed (the given
   cell's output metadata) into the notebook metadata;
2. :class:`GradeWithOwnValues` (first of ``Autograde.autograde_preprocessors``, before
   ``Execute``) writes the literals and, when the recorded values are not the
   student's own, adds a note after the given cell that the student and the teaching
   assistant read.

Switched off (the default) neither changes anything: grades are exactly as before.
"""

from __future__ import annotations

import ast
import math
import re

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from course.grader.cells import grade_id, is_autograder_test, is_code_answer
from course.checks.paper import QUANTITIES, answers_from_other_values
from course.exercise.values import EXERCISE, GivenValues, PerStudentValues, from_mapping
from course.exercise.display import RECORD_KEY

__all__ = ["StampAssignment", "StashShownValues", "GradeWithOwnValues", "typed_answers",
           "GIVEN_CELL", "NOTE_TAG", "STASH_KEY"]

GIVEN_CELL = "paper_given_values"          # grade_id of notebook 1's given-values cell
NOTE_TAG = "grading-values-note"
STASH_KEY = "course_shown_values"          # notebook metadata key between the two passes

_GIVEN_CALL = re.compile(r"show_given_values\([^()]*\)")
# Calls that take the assignment id, stamped into the release by StampAssignment.
_STAMPED_CALL = re.compile(r"\b(show_given_values|worked_example)\(\s*\)")
# check_quantity("z1", globals()) or check_quantity("z1", globals(), <keyword arguments>)
_CHECK_CALL = re.compile(r"check_quantity\((\s*(['\"])\w+\2\s*,\s*globals\(\)[^()]*?)\s*\)")


def _given_cell(nb):
    return next((cell for cell in nb.cells if grade_id(cell) == GIVEN_CELL), None)


class StampAssignment(NbGraderPreprocessor):
    """``generate_assignment``: write the assignment id into the instructor's calls of
    ``show_given_values()`` and ``worked_example()``, so a student's kernel derives the
    same values as the grader wherever the notebook is kept."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and not is_code_answer(cell):
            assignment = resources["nbgrader"]["assignment"]
            cell.source = _STAMPED_CALL.sub(rf"\1(assignment={assignment!r})", cell.source)
        return cell, resources


class StashShownValues(NbGraderPreprocessor):
    """Keep the values the submitted notebook recorded it showed, before outputs are cleared."""

    def preprocess(self, nb, resources):
        nb.metadata.pop(STASH_KEY, None)
        cell = _given_cell(nb)
        if cell is None:
            return nb, resources
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get(RECORD_KEY)
            if isinstance(record, dict):
                nb.metadata[STASH_KEY] = record
        return nb, resources


def typed_answers(nb) -> dict[str, float]:
    """Answers typed as plain numbers (``z1 = 0.6``) in the answer cells, by quantity name."""
    typed = {}
    for cell in nb.cells:
        name = (grade_id(cell) or "").removeprefix("answer_")
        if not is_code_answer(cell) or name not in QUANTITIES:
            continue
        try:
            statements = ast.parse(cell.source).body
        except SyntaxError:
            continue
        for statement in statements:
            if isinstance(statement, ast.Assign) and [getattr(t, "id", None) for t in statement.targets] == [name]:
                try:
                    value = ast.literal_eval(statement.value)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    typed.pop(name, None)
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                    typed[name] = float(value)
                else:
                    typed.pop(name, None)
    return typed


def _literal(values: GivenValues) -> str:
    return repr(values.as_dict())


def _same(a: GivenValues, b: GivenValues) -> bool:
    return all(math.isclose(p, q, rel_tol=1e-9, abs_tol=1e-12) for p, q in zip(a, b))


def _listing(values: GivenValues) -> str:
    return ", ".join(f"{key} = {value:g}" for key, value in values.as_dict().items())


def _shown(record) -> GivenValues | None:
    try:
        return from_mapping(record["values"])
    except (TypeError, KeyError, ValueError):
        return None


class GradeWithOwnValues(NbGraderPreprocessor):
    """Write the graded student's values into notebook 1's given cell and hidden tests."""

    def preprocess(self, nb, resources):
        record = nb.metadata.pop(STASH_KEY, None)
        given_cell = _given_cell(nb)
        settings = PerStudentValues(config=self.config)
        if given_cell is None or not settings.enabled:
            return nb, resources

        info = resources["nbgrader"]
        student = info["student"]
        values = settings.values_for(student, info["assignment"])
        given_cell.source, count = _GIVEN_CALL.subn(
            f"show_given_values({_literal(values)}, student={student!r})", given_cell.source)
        if count != 1:
            raise ValueError(f"{GIVEN_CELL} should call show_given_values() once; it reads:\n"
                             f"{given_cell.source}")
        other_steps = answers_from_other_values(typed_answers(nb), values.as_dict())
        extra = ", carry_forward=False" if other_steps else ""
        for cell in nb.cells:
            if is_autograder_test(cell) and "check_quantity(" in cell.source:
                cell.source, count = _CHECK_CALL.subn(
                    rf"check_quantity(\1, given={_literal(values)}{extra})", cell.source)
                if count == 0:
                    raise ValueError(f"{grade_id(cell)}: check_quantity is not called as "
                                     f'check_quantity("<name>", globals(), ...); cannot pass the values')

        shown = _shown(record) if record else None
        mismatch = shown is not None and not _same(shown, values)
        if mismatch or other_steps:
            note = _note(shown if mismatch else None, record.get("student") if mismatch else None,
                         student, values, other_steps)
            nb.cells.insert(nb.cells.index(given_cell) + 1, note)
            self.log.warning("%s/%s/%s: %s", student, info["assignment"], info["notebook"],
                             note.source.replace("\n", " "))
        return nb, resources


def _note(shown: GivenValues | None, shown_for: str | None, student: str, values: GivenValues,
          other_steps: list[str]):
    """The grading note the student (feedback) and the teaching assistant (formgrader) read."""
    lines = ["**Grading note (given values).**"]
    if shown is not None:
        if shown_for and shown_for != student:
            whose = f"the values of student `{shown_for}`"
        elif _same(shown, EXERCISE):
            whose = "the exercise's values"
        else:
            whose = "other values"
        lines.append(f"This notebook showed {whose}: {_listing(shown)}. Your own values are "
                     f"{_listing(values)}, and your answers were graded against your own values.")
    if other_steps:
        steps = ", ".join(other_steps[:-1]) + f" and {other_steps[-1]}"
        lines.append(f"Your answers for {steps} do not follow from your values ({_listing(values)}): "
                     "they look worked from other values, so earlier answers were not carried "
                     "forward and each step was checked against your own values.")
    lines.append("If you were given other values by mistake, tell your instructor: a teaching "
                 "assistant can pin the values you worked with (the override table in "
                 "`nbgrader_config.py`) and grade the notebook again.")
    return new_markdown_cell("\n\n".join(lines), metadata={"tags": [NOTE_TAG]})
