"""The classroom page's notebook runs clean in a kernel and displays both explorers.
(The page as a browser shows it: tests/browser/test_voila.py.)"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

DEMO = ROOT / "demos" / "backprop_explorer.ipynb"


@pytest.mark.server  # a Jupyter kernel
def test_dashboard_notebook_runs_without_errors_or_stderr():
    notebook = nbformat.read(DEMO, as_version=4)
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(DEMO.parent)}}).execute()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output.get("evalue")
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text
    widgets = [o for c in notebook.cells for o in c.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 3, "both explorers and the class panel are displayed"
    # Run from demos/ in a course nobody graded yet: the panel says so (course_root finds the course).
    panel = [o for o in notebook.cells[-1].outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert panel, "the class panel is the last cell's widget"
