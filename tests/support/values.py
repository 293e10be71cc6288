"""Helpers for the per-student values tests: worked answers and the given cells in a kernel.

Answers are computed from the exercise's formulas (support.paper_corpus.STEP_FORMULAS), not
with course.checks.paper.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping

import nbformat

from conftest import ROOT
from course.grader.cells import grade_id
from support.paper_corpus import QUANTITIES, STEP_FORMULAS

GIVEN_CELLS = ("paper_given_values", "paper_sigmoid_hints")


def worked_answers(given: Mapping[str, float],
                   slips: Mapping[str, Callable[[Mapping[str, float]], float]] | None = None,
                   decimals: int | None = 4) -> dict[str, float]:
    """A student's answers from ``given``, each written to ``decimals`` and carried forward.

    ``slips[step](values_so_far)`` replaces that step's formula; ``decimals=None`` keeps
    full precision.  Includes ``max_sigmoid_derivative = 0.25``.
    """
    values = dict(given)
    for step in QUANTITIES:
        value = (slips or {}).get(step, STEP_FORMULAS[step])(values)
        values[step] = value if decimals is None else round(value, decimals)
    answers = {name: values[name] for name in QUANTITIES}
    answers["max_sigmoid_derivative"] = 0.25
    return answers


def run_given_cells(notebook: nbformat.NotebookNode, folder: Path, env_extra: Mapping[str, str],
                    extra_source: str = "") -> nbformat.NotebookNode:
    """Execute notebook 1's given cells in a real kernel started in ``folder``.

    The kernel's environment is this process's minus any hub/grader identity, plus
    ``env_extra`` (as a JupyterHub sets it for a student).  Returns a notebook of those
    cells (plus ``extra_source``, if any) with their outputs.
    """
    from nbclient import NotebookClient

    cells = [nbformat.from_dict(dict(c)) for c in notebook.cells if grade_id(c) in GIVEN_CELLS]
    assert len(cells) == len(GIVEN_CELLS)
    mini = nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)
    if extra_source:
        mini.cells.append(nbformat.v4.new_code_cell(extra_source))
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("JUPYTERHUB_USER", "NBGRADER_EXECUTION", "COURSE_PER_STUDENT_VALUES",
                        "COURSE_VALUES_SALT", "NBGRADER_COURSE_ID")}
    env.update({"PYTHONPATH": str(ROOT), **env_extra})
    client = NotebookClient(mini, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=env)
    return mini


def with_outputs_of(notebook: nbformat.NotebookNode, executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copy the outputs of ``executed``'s given cells into ``notebook``'s (in place)."""
    outputs = {grade_id(c): c.outputs for c in executed.cells if grade_id(c) in GIVEN_CELLS}
    for cell in notebook.cells:
        if grade_id(cell) in outputs:
            cell.outputs = outputs[grade_id(cell)]
    return notebook
