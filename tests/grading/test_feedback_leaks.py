"""No hidden test text reaches a student, whatever way a test cell fails.

One class of students, each with one failure mode, graded the way ``make autograde``
does (nbgrader autograde with the course's preprocessors; a notebook that kills the
kernel is regraded as blank), then ``nbgrader generate_feedback``.  Every feedback page
must be free of every line of every hidden test block, and the autograded test cells
must show a short message instead of a traceback.  The failure really happened: each
student's autograded notebook is checked for the error it provoked.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import ASSIGNMENT, copy_generated_course, hidden_test_lines, read, visible_text
from course.grader.cells import by_grade_id, grade_id, is_autograder_test
from course.instructor.autograde import autograde
from course.instructor.nbgrader_cli import nbgrader, nbgrader_env
from course.instructor.synthetic import full_submission, write_submission
from course.grader.outputs import REDACTED

pytestmark = pytest.mark.nbgrader

PAPER, VERIFICATION = "01_paper_calculation", "02_code_verification"
NOTEBOOKS = (PAPER, VERIFICATION)
# Seconds; a submission that loops forever costs this once.  Warm grading kernels have
# TensorFlow imported already, so no cell of a finished notebook comes near it.
CELL_TIMEOUT = 20

# A number whose conversion loops once (then works): only the cell timeout stops it,
# inside the check's own code, where the check's time limit does not reach.
SLOW_NUMBER = '''class SlowNumber:
    calls = 0
    def __float__(self):
        SlowNumber.calls += 1
        while SlowNumber.calls == 1:
            pass
        return 0.6
z1 = SlowNumber()'''

# A number whose conversion raises an error the check does not expect.
BROKEN_NUMBER = '''class BrokenNumber:
    def __float__(self):
        raise RuntimeError("no float today")
z1 = BrokenNumber()'''

# A dict whose membership test raises inside the check.
BROKEN_DICT = '''
class Gradients(dict):
    def __contains__(self, key):
        raise RuntimeError("no keys today")
    def items(self):
        raise RuntimeError("no items today")
    def __iter__(self):
        raise RuntimeError("no keys today")
_original_backward_pass = backward_pass
def backward_pass(*args):
    return Gradients(_original_backward_pass(*args))'''


def _answer(notebook, cell_id, source):
    by_grade_id(notebook, cell_id).source = source


def _prepend(notebook, cell_id, line):
    cell = by_grade_id(notebook, cell_id)
    cell.source = line + "\n" + cell.source


def _append(notebook, cell_id, code):
    by_grade_id(notebook, cell_id).source += "\n" + code


# A missing parenthesis: the cell fails, so sigmoid is never defined.
SYNTAX_ERROR = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z)"

# failure mode -> (student, notebook, edit of the full submission, a test cell it breaks,
# the error that cell shows).  Each student carries one mode per notebook, to keep the
# batch small.
FAILURES = {
    # The grader judges every test (course/grader/judging.py): a failure is its message,
    # an error named GradingError, whatever happened in the kernel.
    "timeout": ("ann", PAPER, lambda nb: _answer(nb, "answer_z1", SLOW_NUMBER), "test_z1", "GradingError"),
    "undefined_function": ("ann", VERIFICATION, lambda nb: _answer(nb, "sigmoid_solution", SYNTAX_ERROR),
                           "test_sigmoid_values", "GradingError"),
    "check_raises_paper": ("ben", PAPER, lambda nb: _answer(nb, "answer_z1", BROKEN_NUMBER), "test_z1", "GradingError"),
    "earlier_import_error": ("ben", VERIFICATION,
                             lambda nb: _prepend(nb, "backward_pass_solution", "import backprop_helpers_not_installed"),
                             "test_backward_dz2", "GradingError"),
    "kernel_dies": ("cas", PAPER, lambda nb: _prepend(nb, "answer_dL_dz2",
                                                      "import ctypes\nctypes.string_at(0)  # segfault: the kernel dies"),
                    None, None),
    "check_raises_verification": ("cas", VERIFICATION, lambda nb: _append(nb, "backward_pass_solution", BROKEN_DICT),
                                  "test_backward_dz2", "GradingError"),
}
STUDENTS = sorted({student for student, *_ in FAILURES.values()})


@pytest.fixture(scope="module")
def graded(generated_course, tmp_path_factory):
    root = copy_generated_course(generated_course, tmp_path_factory.mktemp("leaks") / "course", notebooks=NOTEBOOKS)
    env = nbgrader_env(root, {"NBGRADER_CELL_TIMEOUT": str(CELL_TIMEOUT)})
    source, release = root / "source" / ASSIGNMENT, root / "release" / ASSIGNMENT
    for student in STUDENTS:
        notebooks = {name: full_submission(source / f"{name}.ipynb", release / f"{name}.ipynb") for name in NOTEBOOKS}
        for owner, notebook, edit, _, _ in FAILURES.values():
            if owner == student:
                edit(notebooks[notebook])
        write_submission(root / "submitted", student, ASSIGNMENT, notebooks)
    with pytest.MonkeyPatch.context() as patch:  # make autograde reads the timeout from the environment
        patch.setenv("NBGRADER_CELL_TIMEOUT", str(CELL_TIMEOUT))
        autograde(root, ASSIGNMENT)
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", env=env)
    return root


def _error(root, student, notebook, test):
    graded_nb = read(root / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb")
    outputs = by_grade_id(graded_nb, test).outputs
    errors = [o for o in outputs if o.output_type == "error"]
    assert errors, (student, test, outputs)
    return errors[0]


@pytest.mark.parametrize("mode", sorted(FAILURES))
def test_failure_really_happened_and_reads_short(graded, mode):
    student, notebook, _, test, ename = FAILURES[mode]
    if test is None:  # the kernel died: the notebook was regraded as blank, with a note
        page = graded / "feedback" / student / ASSIGNMENT / f"{notebook}.html"
        assert "could not be graded" in visible_text(page)
        return
    error = _error(graded, student, notebook, test)
    assert error.ename == ename or (ename == "KeyboardInterrupt" and error.ename == "CellTimeoutError"), error
    shown = "\n".join(error.traceback)
    assert shown.startswith("\u2717 ") and len(shown) < 600, shown
    assert "Traceback" not in shown and "File " not in shown and "Cell In" not in shown, shown
    assert len(error.traceback) <= 3, shown


@pytest.mark.parametrize("student", STUDENTS)
def test_no_hidden_test_line_in_any_feedback_page(graded, student):
    hidden = hidden_test_lines(*sorted((graded / "source" / ASSIGNMENT).glob("*.ipynb")))
    assert hidden
    pages = sorted((graded / "feedback" / student / ASSIGNMENT).glob("*.html"))
    assert [page.stem for page in pages] == sorted(NOTEBOOKS), student
    for page in pages:
        text = visible_text(page)
        assert "HIDDEN TESTS" not in text, page.name
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}/{page.name} shows hidden test lines {leaked}"


def test_autograded_test_outputs_show_no_hidden_line(graded):
    """What formgrader keeps in autograded/ is the source of the feedback: clean there too."""
    hidden = hidden_test_lines(*sorted((graded / "source" / ASSIGNMENT).glob("*.ipynb")))
    for path in sorted((graded / "autograded").glob(f"*/{ASSIGNMENT}/*.ipynb")):
        for cell in read(path).cells:
            if not is_autograder_test(cell):
                continue
            for output in cell.get("outputs", []):
                text = "\n".join([*output.get("traceback", []), output.get("evalue", ""), output.get("text", ""),
                                  *(v for v in output.get("data", {}).values() if isinstance(v, str))])
                text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)  # colour codes split source lines
                leaked = [line for line in hidden if line in text]
                assert not leaked, (path, grade_id(cell), leaked)


def test_redaction_is_visible_not_silent():
    """A line removed from an output is replaced by a marker, so a grader sees that it happened."""
    from course.grader.outputs import ShortTestErrors

    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                           text="before\ncheck_quantity(\"z1\", globals())\nafter\n")]
    test = nbformat.v4.new_code_cell('check_number("z1", globals())\n### BEGIN HIDDEN TESTS\n'
                                     'check_quantity("z1", globals())\n### END HIDDEN TESTS')
    notebook = nbformat.v4.new_notebook(cells=[cell, test])
    ShortTestErrors().preprocess(notebook, {})
    assert cell.outputs[0].text == f"before\n{REDACTED}\nafter\n"
