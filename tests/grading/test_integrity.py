"""Integrity is judged by what code could change, and autodiff by what runs.

The static scan (course.grader.integrity) must flag every statement that could change what a
test sees, and only those; FlagTampering notes them for the grader and zeroes nothing
(every test is judged outside the kernel).  The autodiff watch
(course.kernel.autodiff) must catch real use of TensorFlow's autodiff under any alias and never
a name such as ``gradients``.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import read, source_notebooks
from course.grader.cells import grade_id, is_code_answer
from course.kernel.messages import GradingError
from course.grader.integrity import ScanContext, scan_source
from course.grader.integrity_notes import NOTE_MARKER, FlagTampering
from course.kernel.calls import call_student

# The instructor's cells of a small notebook: what the scan needs to know about names.
CONTEXT = ScanContext.from_cells(
    ["import numpy as np\nfrom course.checks.paper import check_number"],
    ['check_number("z1", globals())'],
)

# source -> the kind of finding that must cost points
COSTS_POINTS = {
    "np.array rebound": ("import numpy as np\nnp.array = list", "patch"),
    "np.exp via alias": ("import numpy as xp\nxp.exp = lambda z: 0.5", "patch"),
    "GradientTape": ("import tensorflow as tf\ntf.GradientTape = object", "patch"),
    "GradientTape method via alias": ("from tensorflow import GradientTape as T\nT.gradient = None", "patch"),
    "course helper": ("import course.checks.paper as p\np.check_quantity = print", "patch"),
    "setattr on course": ("import course.kernel.coerce\nsetattr(course.kernel.coerce, 'close', lambda *a: True)", "patch"),
    "showtraceback": ("get_ipython().showtraceback = lambda *a, **k: None", "patch"),
    "showtraceback via alias": ("shell = get_ipython()\nshell._showtraceback = print", "patch"),
    "sys.modules entry": ("import sys\nsys.modules['course.kernel.coerce'] = None", "patch"),
    "excepthook": ("import sys\nsys.excepthook = print", "patch"),
    "caller's frame": ("import sys\ndef sigmoid(z):\n    sys._getframe(1).f_globals['x'] = 1", "patch"),
    "post-execute hook": ("get_ipython().events.register('post_run_cell', print)", "patch"),
    "rebinds check function": ("def check_number(*args):\n    pass", "rebind"),
    "globals() rebinds check": ("globals()['check_number'] = print", "rebind"),
    "rebinds builtin a test calls": ("globals = lambda: {'z1': 0.6}", "rebind"),
    "os._exit in function": ("def sigmoid(z):\n    import os\n    os._exit(0)", "exit"),
    "sys.exit": ("import sys\nsys.exit()", "exit"),
    "from os import _exit": ("from os import _exit\n_exit(0)", "exit"),
}

# Harmless: no finding that costs points (notes and file access are allowed).
HARMLESS = {
    "numpy 2 shim": "import numpy as np\nnp.float = float\nnp.int = int\nnp.object = object",
    "numpy alias shim, same object": "np.bool = np.bool_",
    "np.allclose the checks never use": "np.allclose = lambda *a, **k: True",
    "notebook header": "%matplotlib inline\n%load_ext autoreload\n%autoreload 2\nimport numpy as np",
    "argparse workaround": "import sys\nsys.argv = ['']",
    "warnings and seterr": "import warnings\nwarnings.filterwarnings('ignore')\nnp.seterr(all='ignore')",
    "same import as the instructor": "from course.checks.paper import check_number\nimport numpy as np",
    "setattr on own objects": "class Layer:\n    def __init__(self, **kw):\n        for k, v in kw.items():\n"
                              "            setattr(self, k, v)",
    "pasted module with save/load": (
        "import pickle\nclass Net:\n    def save(self, path):\n        with open(path, 'wb') as f:\n"
        "            pickle.dump(self.__dict__, f)\n    def load(self, path):\n"
        "        with open(path, 'rb') as f:\n            self.__dict__.update(pickle.load(f))"),
    "own variables named like the checks' helpers": "gradients = {}\ngradient_norms = [1.0]\nclose = 3",
    "pip in a notebook": "!pip install numpy",
}

NOTHING_AT_ALL = [
    "z1 = 0.8 * 0.5 + 0.2",
    "def sigmoid(z):\n    z = np.asarray(z, dtype=float)\n    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))",
    "grads = {}\ngrads['dW1'] = 0.1\nprint(np.isclose(grads['dW1'], 0.1))",
    "import numpy as np\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.set_yscale('log')",
    "%matplotlib inline\nresult = analyze_gradient_flow(x, y, [4, 8, 8, 1])",
    "%load_ext autoreload\n%autoreload 2",
    "class Layer:\n    def __init__(self, W):\n        self.W = W",
]


@pytest.mark.parametrize("name", sorted(COSTS_POINTS))
def test_statements_that_could_change_a_test_cost_points(name):
    source, kind = COSTS_POINTS[name]
    findings = scan_source(source, CONTEXT)
    assert kind in {f.kind for f in findings if f.costs_points}, (name, findings)


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_harmless_code_costs_nothing(name):
    findings = scan_source(HARMLESS[name], CONTEXT)
    assert not [f for f in findings if f.costs_points], (name, findings)


def test_the_numpy_shim_is_noted_as_a_shim():
    [float_note, int_note] = scan_source("np.float = float\nnp.int = int", CONTEXT)
    assert float_note.kind == int_note.kind == "note" and "compatibility shim" in float_note.what


def test_reading_files_is_a_note_not_a_cost():
    findings = scan_source("print(open('../../../gradebook.db', 'rb').read())", CONTEXT)
    assert [f.kind for f in findings] == ["files"]


@pytest.mark.parametrize("source", NOTHING_AT_ALL)
def test_ordinary_code_is_not_mentioned(source):
    assert scan_source(source, CONTEXT) == []


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda p: p.stem)
def test_reference_solutions_are_not_flagged(path):
    for cell in read(path).cells:
        if is_code_answer(cell):
            assert scan_source(cell.source, CONTEXT) == [], grade_id(cell)


# --- FlagTampering: exactly the tests a statement could affect ----------------------------

def _test_cell(grade_id: str, source: str = 'check_number("z1", globals())'):
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": grade_id,
        "schema_version": 3}}, outputs=[nbformat.v4.new_output("stream", name="stdout", text="ok")])


def _setup_cell():
    return new_code_cell("import numpy as np\nfrom course.checks.paper import check_number\n"
                         "from course.checks.verification import check_gradient",
                         metadata={"nbgrader": {"grade": False, "solution": False, "locked": True,
                                                "grade_id": "setup", "schema_version": 3}})


def _flag(*cells, sandbox: bool = True):
    from traitlets.config import Config

    config = Config()
    config.GradingSandbox.enabled = sandbox   # as nbgrader_config.py (COURSE_SANDBOX) sets it
    notebook = new_notebook(cells=[_setup_cell(), *cells])
    notebook, _ = FlagTampering(config=config).preprocess(notebook, {"nbgrader": {}})
    return notebook


def _scores(notebook) -> dict[str, bool]:
    return {grade_id(c): not any(o.output_type == "error" for o in c.outputs)
            for c in notebook.cells if grade_id(c) and grade_id(c).startswith("test_")}


def test_a_patch_zeroes_nothing_and_is_noted_for_the_grader():
    # The verdict is reached outside the kernel (course/grader/judging.py): what a
    # statement could change in the kernel costs no points, the TA reads what it was.
    notebook = _flag(new_code_cell("z1 = 0.6"), _test_cell("test_z1"),
                     new_code_cell("np.array = list"), _test_cell("test_a1"), _test_cell("test_z2"))
    assert _scores(notebook) == {"test_z1": True, "test_a1": True, "test_z2": True}
    note = next(c for c in notebook.cells if NOTE_MARKER in c.metadata.get("tags", []))
    assert "numpy.array" in note.source and "no score depends on it" in note.source


def test_a_rebound_check_zeroes_nothing_and_is_noted():
    notebook = _flag(new_code_cell("def check_gradient(*a, **k):\n    pass"),
                     _test_cell("test_z1"), _test_cell("test_dW1", "check_gradient(backward_pass, 'dW1', seed=1)"))
    assert _scores(notebook) == {"test_z1": True, "test_dW1": True}
    note = next(c for c in notebook.cells if NOTE_MARKER in c.metadata.get("tags", []))
    assert "check_gradient" in note.source


def test_a_check_the_test_imports_itself_is_noted_not_scored():
    # Each test cell of the notebooks imports its own check just before calling it, so a
    # student's function of that name never runs in a test: a note for the TA, no points lost.
    test = "from course.checks.verification import check_gradient\ncheck_gradient(backward_pass, 'dW1')"
    notebook = _flag(new_code_cell("def check_gradient(*a, **k):\n    print('looks right')"),
                     _test_cell("test_z1"), _test_cell("test_dW1", test))
    assert _scores(notebook) == {"test_z1": True, "test_dW1": True}
    note = next(c for c in notebook.cells if NOTE_MARKER in c.metadata.get("tags", []))
    assert "`check_gradient`" in note.source and "never used" in note.source


def _reads_a_file():
    return (new_code_cell("secret = open('/etc/hostname').read()",
                          outputs=[nbformat.v4.new_output("stream", name="stdout", text="secret")]),
            _test_cell("test_z1"),
            new_code_cell("print(secret)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="secret")]))


def test_file_access_in_the_sandbox_is_run_and_shown_like_any_code():
    notebook = _flag(*_reads_a_file())
    assert _scores(notebook) == {"test_z1": True}
    student = [c for c in notebook.cells if c.cell_type == "code" and not grade_id(c)]
    assert all(c.outputs[0].text == "secret" for c in student[1:])
    assert not any(NOTE_MARKER in c.metadata.get("tags", []) for c in notebook.cells)


def test_file_access_without_the_sandbox_costs_nothing_but_hides_what_was_read():
    notebook = _flag(*_reads_a_file(), sandbox=False)
    assert _scores(notebook) == {"test_z1": True}
    student = [c for c in notebook.cells if c.cell_type == "code" and not grade_id(c)]
    assert all(c.outputs == [] for c in student), "nothing a file-reading notebook printed is kept"
    note = next(c for c in notebook.cells if NOTE_MARKER in c.metadata.get("tags", []))
    assert "open()" in note.source and "no score depends on it" in note.source


def test_shims_get_a_note_and_full_marks():
    notebook = _flag(new_code_cell("np.float = float\nnp.int = int"), _test_cell("test_z1"))
    assert _scores(notebook) == {"test_z1": True}
    note = next(c for c in notebook.cells if NOTE_MARKER in c.metadata.get("tags", []))
    assert "numpy.float" in note.source and "no score depends on it" in note.source


def test_flag_tampering_leaves_honest_notebooks_alone():
    notebook = new_notebook(cells=[_setup_cell(), new_code_cell(NOTHING_AT_ALL[1]), _test_cell("test_sigmoid")])
    before = nbformat.writes(notebook)
    notebook, _ = FlagTampering().preprocess(notebook, {"nbgrader": {}})
    assert nbformat.writes(notebook) == before


@pytest.mark.parametrize("configured", [None, 500])
def test_huge_outputs_are_cut(configured):
    from traitlets.config import Config

    from course.grader.outputs import LimitOutputSize

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


# --- autodiff: judged by what runs ---------------------------------------------------------

FORBID = "no autodiff: {used}"


def _notebook_functions(source: str) -> dict:
    """Define ``source`` as a notebook would (module __main__), return its namespace."""
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<notebook>", "exec"), namespace)  # noqa: S102 - test code
    return namespace


MINIFLOW_STYLE = '''
import numpy as np

class Node:
    def __init__(self, inbound=()):
        self.inbound = list(inbound)
        self.outbound = []
        self.value = None
        self.gradients = {}
        for node in self.inbound:
            node.outbound.append(self)

class Input(Node):
    def backward(self):
        self.gradients = {self: sum(n.gradients[self] for n in self.outbound)}

class Square(Node):
    def forward(self):
        self.value = self.inbound[0].value ** 2
    def backward(self):
        self.gradients = {self.inbound[0]: 2 * self.inbound[0].value}

def gradient_norms(values):
    return [float(np.abs(v)) for v in values]

def derivative(x):
    a = Input(); out = Square([a])
    a.value = x
    out.forward(); out.backward(); a.backward()
    return gradient_norms([a.gradients[a]])[0]
'''


def test_a_numpy_engine_with_a_gradients_attribute_is_not_autodiff():
    derivative = _notebook_functions(MINIFLOW_STYLE)["derivative"]
    assert call_student(derivative, 3.0, what="derivative(3)", forbid_autodiff=FORBID).value == 6.0


TAPE_ALIASES = {
    "alias imported before the check": (
        "import tensorflow as tf\nfrom tensorflow import GradientTape as T\n"
        "def derivative(x):\n    v = tf.Variable(x)\n    with T() as t:\n        y = v * v\n"
        "    return float(t.gradient(y, v))", "tf.GradientTape"),
    "method captured before the check": (
        "import tensorflow as tf\ngrad = tf.GradientTape.gradient\nenter = tf.GradientTape.__enter__\n"
        "def derivative(x):\n    v = tf.Variable(x)\n    t = tf.GradientTape()\n    enter(t)\n"
        "    y = v * v\n    t.__exit__(None, None, None)\n    return float(grad(t, y, v))",
        "tf.GradientTape.gradient"),
    "subclass of the tape": (
        "import tensorflow as tf\nclass Recorder(tf.GradientTape):\n    pass\n"
        "def derivative(x):\n    v = tf.Variable(x)\n    with Recorder() as t:\n        y = v * v\n"
        "    return float(t.gradient(y, v))", "tf.GradientTape"),
    "private tape API, bypassing GradientTape's public methods": (
        "import tensorflow as tf\ndef derivative(x):\n    v = tf.Variable(x)\n    t = tf.GradientTape()\n"
        "    t._push_tape()\n    y = v * v\n    t._pop_tape()\n    return 2 * x", "TFE_Py_TapeSetNew"),
    "through a helper": (
        "import tensorflow as tf\ndef verify_with_tensorflow(x):\n    v = tf.Variable(x)\n"
        "    with tf.GradientTape() as t:\n        y = v * v\n    return float(t.gradient(y, v))\n"
        "def derivative(x):\n    return verify_with_tensorflow(x)", "called from verify_with_tensorflow"),
}


@pytest.mark.parametrize("name", sorted(TAPE_ALIASES))
def test_tensorflow_autodiff_is_caught_under_any_name(name):
    source, expected = TAPE_ALIASES[name]
    derivative = _notebook_functions(source)["derivative"]
    with pytest.raises(GradingError) as raised:
        call_student(derivative, 3.0, what="derivative(3)", forbid_autodiff=FORBID)
    assert str(raised.value).startswith("no autodiff:") and expected in str(raised.value), str(raised.value)


def test_autodiff_is_reported_even_when_the_function_then_fails():
    source = TAPE_ALIASES["alias imported before the check"][0].replace("    return float", "    1 / 0\n    return float")
    derivative = _notebook_functions(source)["derivative"]
    with pytest.raises(GradingError, match="no autodiff: tf.GradientTape"):
        call_student(derivative, 3.0, what="derivative(3)", forbid_autodiff=FORBID)


def test_switching_off_the_watch_is_caught():
    derivative = _notebook_functions("import sys\ndef derivative(x):\n    sys.setprofile(None)\n    return 2 * x")["derivative"]
    with pytest.raises(GradingError, match="switched off"):
        call_student(derivative, 3.0, what="derivative(3)", forbid_autodiff=FORBID)


def test_the_watch_is_only_on_when_asked_and_leaves_no_trace():
    import sys

    source = TAPE_ALIASES["alias imported before the check"][0]
    derivative = _notebook_functions(source)["derivative"]
    assert call_student(derivative, 3.0, what="derivative(3)").value == pytest.approx(6.0)
    assert sys.getprofile() is None


def test_student_numpy_settings_do_not_hide_overflow_from_the_checks():
    previous = np.seterr(all="ignore")
    try:
        call = call_student(lambda z: 1 / (1 + np.exp(-z)), np.float64(-1000.0), what="sigmoid(-1000)")
    finally:
        np.seterr(**previous)
    assert call.runtime_warnings(), "np.seterr(all='ignore') in a student cell must not hide the overflow"
