"""Notebook 2's grader corpus: the reference solution of the SOURCE notebook and its mutants.

A "submission" is the source of the four student functions; mutants are text substitutions
applied to the reference solution cells.  ``support.notebook_grader.grade(NOTEBOOK, source)``
runs the notebook's own given cells and test cells (hidden parts included) against one, so
the corpus and the notebook cannot drift apart.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import nbformat

from course.grader.cells import nbgrader_meta
from course.instructor.synthetic import strip_solution_delimiters

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "source" / "ex01_backprop" / "02_code_verification.ipynb"
SOLUTION_IDS = ("sigmoid_solution", "forward_pass_solution", "bce_solution", "backward_pass_solution")


_meta = nbgrader_meta


@lru_cache(maxsize=1)
def notebook() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def cells_by_id() -> dict[str, nbformat.NotebookNode]:
    return {_meta(c)["grade_id"]: c for c in notebook().cells if "grade_id" in _meta(c)}


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


def has_hidden_source(text: str) -> bool:
    return bool(re.search(r"check_gradient\(|seed=\d+|BEGIN HIDDEN", text))


def tape_like_reference(x, y, W1, b1, W2, b2) -> dict:
    """What a notebook's ``verify_with_tensorflow`` gives the explorer: the four parameter
    gradients only (here float64 central differences, so tests need no TensorFlow)."""
    from course.oracles.two_layer import central_difference

    grads = central_difference(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2)
    return {key: grads[key] for key in ("dW1", "db1", "dW2", "db2")}
