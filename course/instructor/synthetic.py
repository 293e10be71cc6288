"""Synthetic students: submissions made from the source and release notebooks.

A *full* submission is the release notebook with every answer cell replaced by the
instructor's solution; a *blank* one is the release notebook untouched; a *partly wrong*
one is the full submission with the deliberate slips in :data:`SLIPS`, each of which
must cost exactly the test cells it names (the tests check that).
"""

from __future__ import annotations

import copy
import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

from course.grader.cells import by_grade_id, grade_id, is_autograder_test, nbgrader_meta

__all__ = ["Slip", "SLIPS", "full_submission", "blank_submission", "partly_wrong_submission",
           "write_submission", "write_class", "strip_solution_delimiters", "autograded_points", "solution_namespace"]

_DELIMITERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Slip:
    """Replace ``old`` by ``new`` in answer cell ``cell_id``; costs the tests in ``costs``."""

    cell_id: str
    old: str
    new: str
    costs: tuple[str, ...]


# One realistic mistake per notebook; `costs` names the test cells that must lose points.
SLIPS: dict[str, tuple[Slip, ...]] = {
    # A wrong number for dL/dz2 (forgot the sigmoid derivative); later steps are
    # checked against it (error carried forward), so only this step is lost.
    "01_paper_calculation": (
        Slip("answer_dL_dz2", "dL_dz2 = dL_dy_pred * y_pred * (1 - y_pred)", "dL_dz2 = dL_dy_pred", ("test_dL_dz2",)),
    ),
    # The sigmoid derivative forgotten at layer 1 of the backward pass.
    "02_code_verification": (
        Slip("backward_pass_solution", "dz1 = da1 * a1 * (1 - a1)", "dz1 = da1", ("test_backward_dz1",)),
    ),
    # 0.25 added ten times instead of multiplied.
    "03_gradient_flow": (
        Slip("gradient_after_10_layers_answer", "0.25 ** 10", "0.25 * 10", ("test_gradient_after_10_layers",)),
    ),
}


def strip_solution_delimiters(source: str) -> str:
    """A solution cell's source without its ``### BEGIN/END SOLUTION`` lines."""
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith(_DELIMITERS))


def full_submission(source_path: Path, release_path: Path) -> nbformat.NotebookNode:
    """The release notebook with each answer cell filled in from the source solution."""
    source = nbformat.read(source_path, as_version=4)
    release = nbformat.read(release_path, as_version=4)
    solutions = {
        grade_id(cell): strip_solution_delimiters(cell.source) for cell in source.cells if is_solution(cell)
    }
    filled = copy.deepcopy(release)
    for cell in filled.cells:
        if is_solution(cell):
            cell.source = solutions[grade_id(cell)]
    return filled


def blank_submission(release_path: Path) -> nbformat.NotebookNode:
    """The release notebook exactly as a student receives it."""
    return nbformat.read(release_path, as_version=4)


def partly_wrong_submission(source_path: Path, release_path: Path) -> nbformat.NotebookNode:
    """The full submission with this notebook's :data:`SLIPS` applied."""
    notebook = full_submission(source_path, release_path)
    for slip in SLIPS.get(source_path.stem, ()):
        try:
            cell = by_grade_id(notebook, slip.cell_id)
        except ValueError:
            cell = None
        if cell is None or slip.old not in cell.source:
            raise ValueError(f"slip {slip} no longer applies to {source_path.name}: update SLIPS")
        cell.source = cell.source.replace(slip.old, slip.new, 1)
    return notebook


def autograded_points(path: Path) -> dict[str, float]:
    """Points of every autograder test cell in a notebook, by grade_id."""
    notebook = nbformat.read(path, as_version=4)
    return {grade_id(cell): float(nbgrader_meta(cell).get("points", 0))
            for cell in notebook.cells if is_autograder_test(cell)}


def solution_namespace(source_path: Path, release_path: Path) -> dict:
    """Run a finished notebook's code (every cell but the tests) in a fresh namespace.

    IPython magics are skipped.  Used by benchmarks to drive the explorers with the
    student functions a finished notebook defines.
    """
    notebook = full_submission(source_path, release_path)
    namespace: dict = {"__name__": "__main__"}
    for cell in notebook.cells:
        if cell.cell_type != "code" or is_autograder_test(cell):
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        exec(compile(code, f"<{source_path.stem}>", "exec"), namespace)  # noqa: S102 - our own notebook
    return namespace


def write_class(root: Path, assignment: str, students: dict[str, str]) -> None:
    """Write one submission per student into ``root/submitted``.

    ``students`` maps a student id to the kind of submission: ``"full"``, ``"blank"``
    or ``"partly_wrong"``; every notebook in ``root/source/<assignment>`` is included.
    """
    source, release = root / "source" / assignment, root / "release" / assignment
    makers = {
        "full": lambda name: full_submission(source / name, release / name),
        "blank": lambda name: blank_submission(release / name),
        "partly_wrong": lambda name: partly_wrong_submission(source / name, release / name),
    }
    names = sorted(path.name for path in source.glob("*.ipynb"))
    # Each kind is built once, however many students share it.
    built = {kind: {Path(name).stem: makers[kind](name) for name in names} for kind in set(students.values())}
    for student, kind in students.items():
        write_submission(root / "submitted", student, assignment, built[kind])


def write_submission(submitted_dir: Path, student: str, assignment: str,
                     notebooks: dict[str, nbformat.NotebookNode]) -> Path:
    """Write ``notebooks`` (name -> notebook) as ``submitted/<student>/<assignment>/``."""
    folder = submitted_dir / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, notebook in notebooks.items():
        nbformat.write(notebook, folder / f"{name}.ipynb")
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (folder / "timestamp.txt").write_text(stamp)
    return folder
