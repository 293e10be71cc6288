"""Each source notebook and its text twin in source_py/ (jupytext percent format) agree.

The twin is what a reviewer reads: every cell's type, source and nbgrader metadata
(grade ids, points, locked, solution and task flags) must be the same on both sides,
or the review would approve something the course does not run.  ``make sync`` fixes a
pair (the newer side wins); ``jupytext.toml`` says where twins live.
"""

from __future__ import annotations

import jupytext
import pytest

from conftest import ROOT, SOURCE_DIR, read, source_notebooks

TWINS = ROOT / "source_py" / SOURCE_DIR.name


def _cells(notebook) -> list[tuple[str, str, dict]]:
    return [(cell.cell_type, cell.source, cell.metadata.get("nbgrader", {})) for cell in notebook.cells]


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda p: p.stem)
def test_twin_matches_its_notebook(path):
    twin = TWINS / f"{path.stem}.py"
    assert twin.exists(), f"{twin.relative_to(ROOT)} is missing: run `make sync`"
    text = jupytext.read(twin)
    notebook = read(path)
    stale = [i for i, (a, b) in enumerate(zip(_cells(text), _cells(notebook))) if a != b]
    assert len(text.cells) == len(notebook.cells) and not stale, (
        f"{twin.relative_to(ROOT)} and {path.relative_to(ROOT)} differ (first at cell {stale[:1]}): "
        "run `make sync`")
    assert text.metadata.get("kernelspec") == notebook.metadata.get("kernelspec")


def test_every_twin_has_a_notebook():
    notebooks = {path.stem for path in source_notebooks()}
    assert {twin.stem for twin in TWINS.glob("*.py")} == notebooks
