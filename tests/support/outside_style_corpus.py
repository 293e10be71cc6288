"""The outside-style corpus: correct solutions written in conventions students bring along.

Each file ``tests/support/outside_styles/<notebook>_<style>.py`` holds, after a docstring naming the
style it imitates, the code of some answer cells, each under a marker line:

- ``# %% [grade_id]``                 replaces that answer cell's code;
- ``# %% [new cell at top]``          a new code cell before everything else;
- ``# %% [new cell after grade_id]``  a new code cell after that cell.

IPython magics are written commented out (``# %matplotlib inline``), as jupytext does, so
the files stay valid Python; they become real magics in the notebook.  Cells a style does
not touch keep the course's own solution.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from course.grader.cells import by_grade_id

STYLES_DIR = Path(__file__).resolve().parent / "outside_styles"
NOTEBOOKS = {"nb2": "02_code_verification", "nb3": "03_gradient_flow"}
_MARKER = re.compile(r"^# %% \[(?P<target>[^\]]+)\]\s*$", re.M)
_MAGIC = re.compile(r"^# (?=[%!][A-Za-z%])", re.M)


@dataclass(frozen=True)
class Style:
    """One file of the corpus: where it applies and the cells it writes."""

    name: str              # e.g. "textbook_layers"
    notebook: str          # e.g. "02_code_verification"
    imitates: str          # the docstring's first line
    cells: tuple[tuple[str, str], ...]   # (marker target, code)

    @property
    def label(self) -> str:
        return f"nb{self.notebook[1]}_{self.name}"


def load_styles() -> list[Style]:
    styles = []
    for path in sorted(STYLES_DIR.glob("nb*_*.py")):
        text = path.read_text()
        prefix, name = path.stem.split("_", 1)
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if "Imitates:" not in docstring or "Written for this course" not in " ".join(docstring.split()):
            raise ValueError(f"{path.name}: the docstring must name the style it imitates")
        parts = _MARKER.split(text)  # [preamble, target, code, target, code, ...]
        cells = tuple((parts[i], _MAGIC.sub("", parts[i + 1]).strip("\n") + "\n")
                      for i in range(1, len(parts), 2))
        styles.append(Style(name, NOTEBOOKS[prefix], docstring.splitlines()[0], cells))
    return styles


def apply_style(style: Style, full: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The full (correct) submission with this style's cells written in."""
    notebook = copy.deepcopy(full)
    for target, code in style.cells:
        if target == "new cell at top":
            notebook.cells.insert(0, new_code_cell(code))
        elif target.startswith("new cell after "):
            anchor = by_grade_id(notebook, target.removeprefix("new cell after "))
            notebook.cells.insert(notebook.cells.index(anchor) + 1, new_code_cell(code))
        else:
            by_grade_id(notebook, target).source = code
    return notebook
