"""Notebook 2's grader corpus: read the SOURCE notebook, run its test cells in-process.

The hidden test cells are executed from ``source/ex01_backprop/02_code_verification.ipynb``
itself (setup cell, given ``verify_with_tensorflow`` cell, then every graded test cell), so
the corpus and the notebook cannot drift apart.  A "submission" is the source of the four
student functions; mutants are text substitutions applied to the reference solution cells.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

from course.grader.cells import is_autograder_test, nbgrader_meta
from course.instructor.synthetic import strip_solution_delimiters
from support.notebook_grader import CellOutcome, grade_cells

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "source" / "ex01_backprop" / "02_code_verification.ipynb"
SOLUTION_IDS = ("sigmoid_solution", "forward_pass_solution", "bce_solution", "backward_pass_solution")
GIVEN_IDS = ("verification_setup", "verify_with_tensorflow")


_meta = nbgrader_meta


@lru_cache(maxsize=1)
def notebook() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def cells_by_id() -> dict[str, nbformat.NotebookNode]:
    return {_meta(c)["grade_id"]: c for c in notebook().cells if "grade_id" in _meta(c)}


def test_cells() -> list[tuple[str, float, str]]:
    """(grade_id, points, full source including hidden tests) of each autograded test cell."""
    return [(_meta(c)["grade_id"], float(_meta(c)["points"]), c.source)
            for c in notebook().cells
            if is_autograder_test(c)]


def total_points() -> float:
    return sum(points for _, points, _ in test_cells())


def reference_source() -> str:
    """The four reference functions, as written in the notebook's solution cells."""
    cells = cells_by_id()
    return "\n\n".join(strip_solution_delimiters(cells[grade_id].source) for grade_id in SOLUTION_IDS)


def mutate(*replacements: tuple[str, str]) -> str:
    """The reference source with each ``old -> new`` replacement applied (each must match)."""
    source = reference_source()
    for old, new in replacements:
        assert old in source, f"mutation target not found in the reference solution: {old!r}"
        source = source.replace(old, new, 1)
    return source


@lru_cache(maxsize=1)
def _given_namespace_items() -> tuple:
    namespace: dict = {"__name__": "__main__"}
    cells = cells_by_id()
    for grade_id in GIVEN_IDS:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(cells[grade_id].source, f"<{grade_id}>", "exec"), namespace)
    return tuple(namespace.items())


@dataclass
class Score:
    points: float
    total: float
    outcomes: dict[str, CellOutcome] = field(default_factory=dict)

    @property
    def lost(self) -> set[str]:
        return {grade_id for grade_id, outcome in self.outcomes.items() if not outcome.passed}

    def message(self, grade_id: str) -> str:
        return self.outcomes[grade_id].message


# Module attributes a tampering submission may rebind; restored after each grading run.
_TAMPER_TARGETS = (("numpy", "allclose"), ("numpy.testing", "assert_allclose"),
                   ("tensorflow", "GradientTape"))


def grade(student_source: str, *, fresh_oracle: bool = False) -> Score:
    """Run every graded test cell of the notebook against ``student_source``.

    ``fresh_oracle`` empties the checks' reference cache first, so the oracles are
    computed after the submission ran (as in a real kernel).
    """
    import importlib

    namespace = dict(_given_namespace_items())
    saved = [(importlib.import_module(m), a, getattr(importlib.import_module(m), a))
             for m, a in _TAMPER_TARGETS]
    if fresh_oracle:
        from course.checks import verification

        verification._REFERENCE_CACHE.clear()
    try:
        exec(compile(student_source, "<student>", "exec"), namespace)
        outcomes = grade_cells(namespace, [(grade_id, source, points) for grade_id, points, source in test_cells()])
    finally:
        for module, attribute, original in saved:
            setattr(module, attribute, original)
    # A check that crashes (anything but a failed assertion) is a grader defect.
    crashes = {g: repr(o.error) for g, o in outcomes.items()
               if o.error is not None and not isinstance(o.error, AssertionError)}
    assert not crashes, f"test cells crashed: {crashes}"
    return Score(sum(o.points for o in outcomes.values()), total_points(), outcomes)


def has_hidden_source(text: str) -> bool:
    return bool(re.search(r"check_gradient\(|seed=\d+|BEGIN HIDDEN", text))


def tape_like_reference(x, y, W1, b1, W2, b2) -> dict:
    """What a notebook's ``verify_with_tensorflow`` gives the explorer: the four parameter
    gradients only (here float64 central differences, so tests need no TensorFlow)."""
    from course.oracles.two_layer import central_difference

    grads = central_difference(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2)
    return {key: grads[key] for key in ("dW1", "db1", "dW2", "db2")}
