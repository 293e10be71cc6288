"""Notebook 1's table of given values and hint table, shown by read-only code cells.

Markdown cannot compute, so the two tables a student reads are the outputs of two
given cells::

    from course.exercise.display import show_given_values, show_sigmoid_hints
    given = show_given_values()        # the table of x, y, W1, b1, W2, b2; returns them
    x, y, W1, b1, W2, b2 = given
    ...
    show_sigmoid_hints(given)          # σ at the table points near z1 and z2

Whose values: the student named by ``JUPYTERHUB_USER`` (see :mod:`course.exercise.values`);
with no identity, or while nbgrader runs the notebook, the exercise's values, and the
table says which.  While grading, :mod:`course.grader.own_values` rewrites the call to
``show_given_values({...}, student="...")`` with the graded student's values as
literals, so nothing in the kernel decides them.

The table's output carries its values in its metadata (``course_given_values``):
that is the notebook's record of what it showed, read back by the grader.
"""

from __future__ import annotations

import os
from typing import Mapping

from course.exercise.values import DEFAULT_ASSIGNMENT, EXERCISE, GivenValues, from_mapping, hint_table, load_settings

__all__ = ["show_given_values", "show_sigmoid_hints", "worked_example", "RECORD_KEY", "resolve_values"]

RECORD_KEY = "course_given_values"


def _number(value: float) -> str:
    return f"{value:g}"


def _values_table(values: GivenValues) -> str:
    return "\n".join((
        r"| input $x$ | target $y$ | $W_1$ | $b_1$ | $W_2$ | $b_2$ |",
        "|:---:|:---:|:---:|:---:|:---:|:---:|",
        "| " + " | ".join(_number(v) for v in values) + " |",
    ))


def resolve_values(assignment: str | None = None) -> tuple[GivenValues, str | None, str]:
    """(values, student id or None, sentence saying whose values they are) for this kernel.

    ``assignment`` is the nbgrader assignment id, which ``generate_assignment`` writes into
    the released notebook's call (:class:`course.grader.own_values.StampAssignment`), so the
    values do not depend on where the student keeps the notebook.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        # Validate, or grading with per-student values off (switched on, the grader
        # passes the student's values explicitly).
        return EXERCISE, None, "The exercise's values (the same for everyone)."
    student = os.environ.get("JUPYTERHUB_USER") or None
    if student is None:
        return EXERCISE, None, (
            "**No student identity here** (this is not the course's JupyterHub), so these are "
            "the exercise's values. If your course gives every student their own values, work "
            "on the course's JupyterHub: your answers are graded against your own values.")
    settings = load_settings()
    values = settings.values_for(student, assignment or DEFAULT_ASSIGNMENT)
    if settings.enabled and student in settings.overrides:
        return values, student, f"**Your values** (student `{student}`, set by your instructor)."
    if settings.enabled:
        return values, student, (f"**Your values** (student `{student}`): every student has "
                                 "their own numbers, and your answers are graded against these.")
    return values, student, "The exercise's values (the same for everyone)."


def _display(markdown: str, plain: str, metadata: Mapping[str, object] | None = None) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is always installed with Jupyter
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(plain)  # outside a kernel (a script, a test): plain text
        return
    display({"text/markdown": markdown, "text/plain": plain}, raw=True,
            metadata=dict(metadata or {}))


def show_given_values(values: Mapping[str, float] | None = None, *,
                      student: str | None = None, assignment: str | None = None) -> GivenValues:
    """Show the table of given values and return them as ``GivenValues`` (x, y, W1, b1, W2, b2).

    Without ``values`` they are this kernel's (:func:`resolve_values` for ``assignment``);
    the grader passes the graded student's ``values`` and ``student`` id explicitly.
    """
    if values is not None:
        given = from_mapping(values)
        whose = f"Graded with the values of student `{student}`." if student else "Given values."
    else:
        given, student, whose = resolve_values(assignment)
    plain = whose.replace("**", "").replace("`", "") + "\n" + "  ".join(
        f"{key} = {_number(value)}" for key, value in given.as_dict().items())
    record = {RECORD_KEY: {"student": student, "values": given.as_dict()}}
    _display(whose + "\n\n" + _values_table(given), plain, record)
    return given


def show_sigmoid_hints(values: Mapping[str, float] | GivenValues = EXERCISE) -> None:
    """Show σ(z) to 4 decimals at the table points near z1 and z2 of ``values``.

    Returns nothing: the notebook's cell ends with this call, and a returned table would be
    printed again as the cell's ``Out[]`` under the rendered one (:func:`course.exercise.values.hint_table`
    gives the numbers).
    """
    given = GivenValues(*values) if isinstance(values, tuple) else from_mapping(values)
    table = hint_table(given)
    header = "| $z$ | " + " | ".join(_number(point) for point in table) + " |"
    rule = "|:---|" + ":---:|" * len(table)
    row = r"| $\sigma(z) \approx$ | " + " | ".join(f"{value:.4f}" for value in table.values()) + " |"
    plain = "Hint - sigmoid values: " + ", ".join(
        f"sigmoid({_number(point)}) = {value:.4f}" for point, value in table.items())
    _display("**Hint — sigmoid values:**\n\n" + "\n".join((header, rule, row)), plain)


def worked_example(assignment: str | None = None) -> dict[str, float]:
    """This kernel's notebook-1 values as ``{x, y, W1, b1, W2, b2}``: notebook 2's worked example.

    The same values the student's notebook 1 shows (:func:`resolve_values`), so the code
    in notebook 2 checks the numbers worked by hand.
    """
    return resolve_values(assignment)[0].as_dict()
