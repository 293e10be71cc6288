"""The classroom dashboard: its reference functions are right, and the notebook runs clean."""

from __future__ import annotations

import math

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from conftest import ROOT
from course.widgets.classroom import reference_functions

DEMO = ROOT / "demos" / "backprop_explorer.ipynb"


def _by_hand(x, y, W1, b1, W2, b2):
    """The exercise's chain rule written out with math.exp, independently of course/."""
    s = lambda z: 1 / (1 + math.exp(-z))
    z1 = W1 * x + b1; a1 = s(z1); z2 = W2 * a1 + b2; p = s(z2)
    dz2 = p - y
    dz1 = dz2 * W2 * a1 * (1 - a1)
    return {"dy_pred": -y / p + (1 - y) / (1 - p), "dz2": dz2, "dW2": dz2 * a1, "db2": dz2,
            "da1": dz2 * W2, "dz1": dz1, "dW1": dz1 * x, "db1": dz1}


@pytest.mark.parametrize("params", [(0.5, 1.0, 0.8, 0.2, 0.6, 0.1), (-2.0, 0.0, 3.0, -1.0, -4.0, 2.5),
                                    (3.0, 1.0, -5.0, 5.0, 5.0, -5.0)])
def test_reference_functions_match_the_chain_rule(params):
    sigmoid, forward_pass, bce, backward_pass = reference_functions()
    x, y, W1, b1, W2, b2 = params
    z1, a1, z2, y_pred = forward_pass(x, W1, b1, W2, b2)
    assert a1 == pytest.approx(1 / (1 + math.exp(-z1)))
    assert bce(y, y_pred) == pytest.approx(-(y * math.log(y_pred) + (1 - y) * math.log(1 - y_pred)))
    got = backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2)
    for key, expected in _by_hand(*params).items():
        assert got[key] == pytest.approx(expected, rel=1e-6, abs=1e-9), key
    assert float(sigmoid(np.array(1000.0))) == 1.0


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
    assert len(widgets) == 2, "both explorers are displayed"
