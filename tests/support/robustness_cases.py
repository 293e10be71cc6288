"""The tamper and broken-submission corpus: each case is a submission and its outcome.

A case builds the files of one student's submission from the finished (full) and the
blank notebook, and states what grading must give: the autograded points of the
notebook (or how many it loses) and, where the student must be told something, a
phrase their feedback page must contain.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
from nbformat.v4 import new_code_cell

from course.grader.cells import by_grade_id

Notebook = nbformat.NotebookNode


@dataclass(frozen=True)
class Case:
    """One student: ``build(full, blank) -> {filename: bytes}`` and the expected outcome."""

    student: str
    build: Callable[[Notebook, Notebook], dict[str, bytes]]
    lost_tests: tuple[str, ...] | None = None   # tests that must score 0; None = all of them
    feedback: tuple[str, ...] = field(default_factory=tuple)
    why: str = ""


cell = by_grade_id


def index(notebook: Notebook, grade_id: str) -> int:
    return notebook.cells.index(cell(notebook, grade_id))


def as_file(notebook: Notebook, name: str) -> dict[str, bytes]:
    return {name: nbformat.writes(notebook).encode()}


def edited(base: Notebook, edit: Callable[[Notebook], None]) -> Notebook:
    notebook = copy.deepcopy(base)
    edit(notebook)
    return notebook


def set_answer(notebook: Notebook, grade_id: str, source: str) -> None:
    cell(notebook, grade_id).source = source


ALWAYS_EQUAL = (
    "class Anything:\n"
    "    def __eq__(self, other):\n        return True\n"
    "    def __ne__(self, other):\n        return False\n"
    "    __hash__ = object.__hash__\n"
)

FIND_GRADEBOOK = (
    "import os\n"
    "here = os.getcwd()\n"
    "for _ in range(8):\n"
    "    candidate = os.path.join(here, 'gradebook.db')\n"
    "    if os.path.exists(candidate):\n"
    "        print(open(candidate, 'rb').read().decode('latin-1'))\n"
    "        break\n"
    "    here = os.path.dirname(here)\n"
    "else:\n"
    "    print('no gradebook found above', os.getcwd())\n"
)


def paper_cases(name: str, answers: tuple[str, ...]) -> list[Case]:
    """Cases on notebook 1 (``name`` is its file name; ``answers`` its answer grade_ids)."""
    first, last = answers[0], answers[-1]
    # Wrong answers, all different: equal ones would be right by error carried forward
    # (dL_db2 = your dL_dz2), and these cases are about what tampering earns.
    def wrong(nb):
        return [set_answer(nb, a, f"{a.removeprefix('answer_')} = {0.123 + 0.0101 * i:.4f}")
                for i, a in enumerate(answers)]

    def tamper(code: str, *, wrong_answers: bool = True, at: str = first):
        def build(full, blank):
            def edit(nb):
                if wrong_answers:
                    wrong(nb)
                cell(nb, at).source = code + "\n" + cell(nb, at).source
            return as_file(edited(full, edit), name)
        return build

    def move_test_before_answer(nb):
        test = nb.cells.pop(index(nb, "test_z1"))
        nb.cells.insert(index(nb, "answer_z1"), test)

    def strip_metadata(nb):
        for c in nb.cells:
            c.metadata.pop("nbgrader", None)

    def to_markdown(nb):
        position = index(nb, "answer_z1")
        old = nb.cells[position]
        nb.cells[position] = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata)

    def duplicate(nb):
        position = index(nb, "answer_z1")
        nb.cells.insert(position + 1, copy.deepcopy(nb.cells[position]))

    def split(nb):
        position = index(nb, "answer_z2")
        answer = nb.cells[position]
        nb.cells.insert(position + 1, new_code_cell(answer.source))
        answer.source = "# my answer is in the next cell"

    # Notebook 1's full submission writes each answer as a formula of the earlier ones
    # (the source's solutions), so the damaged answers are ones no later answer uses.
    def delete(nb):
        for grade_id in ("test_dL_dW1", "answer_dL_dW1"):
            nb.cells.pop(index(nb, grade_id))

    def huge_outputs(nb):
        stored = nbformat.v4.new_output("stream", name="stdout", text="x" * 30_000_000)
        cell(nb, first).outputs = [stored]
        cell(nb, first).source += "\nprint('y' * 5_000_000)"

    def invalid_json(full, blank):
        text = nbformat.writes(full)
        return {name: text[: len(text) // 2].encode()}

    return [
        # --- tampering -------------------------------------------------------------
        Case("t_patch_course", tamper("import course.checks.paper as paper\n"
                                      "paper.check_quantity = lambda *a, **k: None\n"
                                      "paper.check_number = lambda *a, **k: None"),
             None, ("Integrity check",), "rebinding the grader's own checks"),
        Case("t_patch_numpy", tamper("import math\nimport numpy as np\n"
                                     "np.allclose = np.isclose = lambda *a, **k: True\n"
                                     "math.isclose = lambda *a, **k: True"),
             None, ("Integrity check",), "patched comparison functions"),
        Case("t_always_equal", lambda full, blank: as_file(edited(full, lambda nb: [
                 set_answer(nb, a, ALWAYS_EQUAL + f"{a.removeprefix('answer_')} = Anything()")
                 for a in answers]), name),
             None, ("should be a number",), "objects whose == is always true"),
        Case("t_hidden_traceback", tamper("get_ipython().showtraceback = lambda *a, **k: None\n"
                                          "get_ipython()._showtraceback = lambda *a, **k: None"),
             None, ("Integrity check",), "errors hidden from the notebook"),
        Case("t_exit_in_answer", tamper("import sys\nsys.exit(0)", wrong_answers=False, at=last),
             ("test_" + last.removeprefix("answer_"),), ("Integrity check",), "sys.exit in an answer"),
        # Reading files cannot change a grade, and the sandboxed kernel cannot even see the
        # gradebook: no points lost, no note, the search comes back empty (and
        # test_no_feedback_leaks_hidden_tests finds no hidden test in the feedback).
        Case("t_read_gradebook", tamper(FIND_GRADEBOOK, wrong_answers=False, at=last),
             (), ("no gradebook found above",), "reading the gradebook to print the hidden tests"),
        # --- broken submissions ------------------------------------------------------
        Case("b_invalid_json", invalid_json, None, ("could not be read", "not valid JSON"), "truncated file"),
        Case("b_renamed", lambda full, blank: as_file(full, name.replace(".ipynb", "-Copy1.ipynb")),
             (), ("was renamed",), "saved under another name"),
        Case("b_missing", lambda full, blank: {"Untitled.ipynb": nbformat.writes(nbformat.v4.new_notebook()).encode()},
             None, ("missing from your submission",), "the notebook missing, an unrelated Untitled.ipynb instead"),
        Case("b_deleted_cells", lambda full, blank: as_file(edited(full, delete), name),
             ("test_dL_dW1",), ("were restored",), "an answer and its test deleted: restored, unanswered"),
        Case("b_duplicated_cell", lambda full, blank: as_file(edited(full, duplicate), name),
             (), ("were restored",), "an answer cell duplicated: the copy runs as an ordinary cell"),
        Case("b_split_cell", lambda full, blank: as_file(edited(full, split), name),
             (), (), "an answer moved into a new cell below"),
        Case("b_reordered", lambda full, blank: as_file(edited(full, move_test_before_answer), name),
             ("test_z1",), (), "a test moved above its answer runs before the answer"),
        Case("b_edited_test", lambda full, blank: as_file(edited(full, lambda nb: (
                 set_answer(nb, "answer_z1", "z1 = 0.5"),
                 setattr(cell(nb, "test_z1"), "source", "print('all good')"))), name),
             ("test_z1",), (), "a test cell edited to pass: nbgrader restores it"),
        Case("b_cell_type", lambda full, blank: as_file(edited(full, to_markdown), name),
             (), (), "an answer cell turned into markdown: nbgrader restores the type"),
        Case("b_stripped_metadata", lambda full, blank: as_file(edited(full, strip_metadata), name),
             (), ("were restored",), "all nbgrader metadata stripped: restored by matching the release"),
        Case("b_endless_loop", lambda full, blank: as_file(edited(full, lambda nb: setattr(
                 cell(nb, last), "source", cell(nb, last).source + "\nwhile True:\n    pass")), name),
             (), (), "an endless loop after the last answer: interrupted by the cell timeout"),
        Case("b_kernel_crash", lambda full, blank: as_file(edited(full, lambda nb: setattr(
                 cell(nb, "answer_dL_dW1"), "source", "import os\nos._exit(1)")), name),
             None, ("stopped the grading kernel",), "the kernel dies in an answer cell"),
        Case("b_huge_output", lambda full, blank: as_file(edited(full, huge_outputs), name),
             (), (), "30 MB of stored output and a 5 MB print"),
        Case("b_import_error", lambda full, blank: as_file(edited(full, lambda nb: setattr(
                 cell(nb, "answer_dL_dW1"), "source", "import not_a_module_xyz\n" + cell(nb, "answer_dL_dW1").source)),
                 name),
             ("test_dL_dW1",), (), "an exception at import stops that cell only"),
    ]


BACKWARD_WITH_TAPE = '''def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    import tensorflow as tf
    params = [tf.Variable(float(v), dtype=tf.float64) for v in (W1, b1, W2, b2)]
    with tf.GradientTape() as tape:
        h = tf.sigmoid(params[0] * x + params[1])
        p = tf.sigmoid(params[2] * h + params[3])
        loss = -(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
    dW1, db1, dW2, db2 = (float(g) for g in tape.gradient(loss, params))
    return {"dy_pred": -y / y_pred + (1 - y) / (1 - y_pred), "dz2": y_pred - y, "dW2": dW2, "db2": db2,
            "da1": (y_pred - y) * W2, "dz1": db1, "dW1": dW1, "db1": db1}
'''

HARD_CODED_BACKWARD = '''def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    return {"dy_pred": -1.614226, "dz2": -0.380508, "dW2": -0.245678, "db2": -0.380508,
            "da1": -0.228305, "dz1": -0.052226, "dW1": -0.026113, "db1": -0.052226}
'''

FAKE_TAPE = '''import numpy as np
import tensorflow as tf
class FakeTape:
    def __init__(self, *args, **kwargs): pass
    def __enter__(self): return self
    def __exit__(self, *exc): return False
    def gradient(self, target, sources): return [tf.constant(0.0) for _ in sources]
tf.GradientTape = FakeTape
np.allclose = lambda *a, **k: True
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    return {key: 0.0 for key in ("dy_pred", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")}
'''


# The tape under another name, imported before any check runs: caught by what runs.
TAPE_UNDER_AN_ALIAS = BACKWARD_WITH_TAPE.replace("    import tensorflow as tf\n", "").replace(
    "with tf.GradientTape() as tape", "with Recorder() as tape").replace(
    "def backward_pass", "import tensorflow as tf\nfrom tensorflow import GradientTape as Recorder\n\n\ndef backward_pass", 1)

REBOUND_CHECK = HARD_CODED_BACKWARD + """
def check_gradient(*args, **kwargs):
    print("\u2713 looks right")
"""


def write_submissions(submitted: Path, assignment: str, cases: list[Case], full: Notebook, blank: Notebook) -> None:
    """Write each case's files as its student's submission in ``submitted/`` (with a timestamp)."""
    for case in cases:
        folder = submitted / case.student / assignment
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-25 09:00:00.000000 UTC")
        for name, content in case.build(full, blank).items():
            (folder / name).write_bytes(content)


def verification_cases(name: str, gradient_tests: tuple[str, ...]) -> list[Case]:
    """Tampering cases on notebook 2 (``gradient_tests``: the eight backward_pass tests)."""

    def replace(grade_id: str, source: str):
        return lambda full, blank: as_file(edited(full, lambda nb: set_answer(nb, grade_id, source)), name)

    return [
        Case("t2_tape_in_backward", replace("backward_pass_solution", BACKWARD_WITH_TAPE),
             gradient_tests, ("chain rule",), "tf.GradientTape inside the manual backward pass"),
        Case("t2_hard_coded", replace("backward_pass_solution", HARD_CODED_BACKWARD),
             gradient_tests, (), "the worked example's gradients returned for every input"),
        Case("t2_fake_tape_and_allclose", replace("backward_pass_solution", FAKE_TAPE),
             gradient_tests, ("Integrity check",), "GradientTape and np.allclose replaced"),
        Case("t2_tape_under_an_alias", replace("backward_pass_solution", TAPE_UNDER_AN_ALIAS),
             gradient_tests, ("chain rule", "tf.GradientTape"), "GradientTape imported under another name"),
        Case("t2_rebinds_check", replace("backward_pass_solution", REBOUND_CHECK),
             gradient_tests, ("Integrity check", "check_gradient"), "the hidden check replaced by a no-op"),
        # The call is caught (course/kernel/calls.py), the kernel lives on: only the tests that
        # call sigmoid (directly or through forward_pass) are lost.
        Case("t2_exit_in_function", replace("sigmoid_solution",
                                            "def sigmoid(z):\n    import os\n    os._exit(0)\n"),
             ("test_sigmoid_values", "test_sigmoid_extremes", "test_forward_pass"), ("tried to stop",),
             "os._exit inside a function"),
    ]
