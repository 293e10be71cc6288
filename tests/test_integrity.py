"""The static integrity scan flags tampering and nothing an honest student writes."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import read, source_notebooks
from course.cells import grade_id, is_code_answer
from course.integrity import scan_source
from course.nbgrader_ext import NOTE_MARKER, FlagTampering

TAMPERING = {
    "np.allclose": ("import numpy as np\nnp.allclose = lambda *a, **k: True", "patch"),
    "np.isclose via alias": ("import numpy as xp\nxp.isclose = lambda *a, **k: True", "patch"),
    "math.isclose": ("import math\nmath.isclose = lambda *a, **k: True", "patch"),
    "GradientTape": ("import tensorflow as tf\ntf.GradientTape = object", "patch"),
    "course helper": ("import course.checks.paper as p\np.check_quantity = print", "patch"),
    "setattr": ("import numpy\nsetattr(numpy, 'allclose', lambda *a: True)", "patch"),
    "showtraceback": ("get_ipython().showtraceback = lambda *a, **k: None", "patch"),
    "sys.modules": ("import sys\nsys.modules['numpy'].allclose = 1", "patch"),
    "globals": ("globals()['check'] = print", "patch"),
    "os._exit in function": ("def sigmoid(z):\n    import os\n    os._exit(0)", "exit"),
    "sys.exit": ("import sys\nsys.exit()", "exit"),
    "from os import _exit": ("from os import _exit\n_exit(0)", "exit"),
    "read gradebook": ("print(open('../../../gradebook.db', 'rb').read())", "files"),
    "pathlib": ("from pathlib import Path\nprint(Path('x.ipynb').read_text())", "files"),
    "shell": ("!cat ../../*.ipynb", "files"),
    "sqlite": ("import sqlite3\nsqlite3.connect('gradebook.db')", "files"),
}

HONEST = [
    "z1 = 0.8 * 0.5 + 0.2",
    "def sigmoid(z):\n    z = np.asarray(z, dtype=float)\n    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))",
    "grads = {}\ngrads['dW1'] = 0.1\nprint(np.isclose(grads['dW1'], 0.1))",
    "import numpy as np\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.set_yscale('log')",
    "%matplotlib inline\nresult = analyze_gradient_flow(x, y, [4, 8, 8, 1])",
    "class Layer:\n    def __init__(self, W):\n        self.W = W",
]


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_tampering_is_flagged(name):
    source, kind = TAMPERING[name]
    assert kind in {finding.kind for finding in scan_source(source)}, name


@pytest.mark.parametrize("source", HONEST)
def test_honest_code_is_not_flagged(source):
    assert scan_source(source) == []


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda p: p.stem)
def test_reference_solutions_are_not_flagged(path):
    for cell in read(path).cells:
        if is_code_answer(cell):
            assert scan_source(cell.source) == [], grade_id(cell)


def _test_cell(grade_id: str):
    return new_code_cell("check()", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": grade_id,
        "schema_version": 3}}, outputs=[nbformat.v4.new_output("stream", name="stdout", text="ok")])


def test_flag_tampering_zeroes_only_the_tests_after_the_flagged_cell():
    notebook = new_notebook(cells=[
        new_code_cell("z1 = 0.6"), _test_cell("test_z1"),
        new_code_cell("print(open('/etc/hostname').read())",
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="secret")]),
        _test_cell("test_a1"),
    ])
    notebook, _ = FlagTampering().preprocess(notebook, {"nbgrader": {}})
    kinds = [[o.output_type for o in c.get("outputs", [])] for c in notebook.cells]
    assert kinds[1] == ["stream"], "a test before the flagged cell keeps its result"
    assert notebook.cells[2].outputs == [], "what the cell read is not shown"
    assert NOTE_MARKER in notebook.cells[3].metadata["tags"] and "open()" in notebook.cells[3].source
    assert kinds[4] == ["error"] and notebook.cells[4].outputs[0].ename == "IntegrityError"


def test_flag_tampering_leaves_honest_notebooks_alone():
    notebook = new_notebook(cells=[new_code_cell(HONEST[1]), _test_cell("test_sigmoid")])
    before = nbformat.writes(notebook)
    notebook, _ = FlagTampering().preprocess(notebook, {"nbgrader": {}})
    assert nbformat.writes(notebook) == before


@pytest.mark.parametrize("configured", [None, 500])
def test_huge_outputs_are_cut(configured):
    from traitlets.config import Config

    from course.nbgrader_ext import LimitOutputSize

    config = Config()
    if configured is not None:  # as a line in nbgrader_config.py would set it
        config.LimitOutputSize.max_chars = configured
    limit = configured or LimitOutputSize.max_chars.default_value
    cell = new_code_cell("print('x' * 10**7)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="x" * 10**7),
        nbformat.v4.new_output("execute_result", data={"text/plain": "y" * 10**7}, execution_count=1)])
    cell, _ = LimitOutputSize(config=config).preprocess_cell(cell, {}, 0)
    assert limit <= len(cell.outputs[0].text) < limit + 100
    assert limit <= len(cell.outputs[1].data["text/plain"]) < limit + 100
