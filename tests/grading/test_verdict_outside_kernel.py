"""The verdict lives outside the student's process: a hostile corpus graded by real nbgrader.

Each hostile student was written here for this check.  Their code reaches the course's
machinery through names built at run time (``sys.modules`` loops with ``setattr``,
``vars(...).update`` after ``importlib`` of assembled names, ``gc``), forges or
duplicates the kernel's report through IPython's display machinery, or answers from a
lookup table of the inputs a reader of the course's code could compute in advance.  An
honest student is graded in the same batch.  Each hostile student must lose exactly
what their wrong work deserves, and the honest student nothing.

The batch is graded twice: by ``nbgrader autograde`` and by nbgrader's
``NbGraderAPI.autograde`` (what formgrader's button calls); both must agree.

An answer hunt calls every function importable in the grading kernel with the
exercise's values; none of the right notebook-1 answers may come back.  The same hunt
in the instructor's own environment does find them (the control).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from conftest import ASSIGNMENT, copy_generated_course
from course.grader.cells import grade_id, is_autograder_test
from course.instructor.nbgrader_cli import nbgrader, nbgrader_env
from course.instructor.synthetic import full_submission, write_submission

pytestmark = pytest.mark.nbgrader

NB1, NB2 = "01_paper_calculation", "02_code_verification"
GRADIENT_TESTS = {f"test_backward_{key}" for key in ("dy_pred", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")}

# Notebook 1's answers for the exercise's values that the notebook does not give away
# (a1 is the hint table's sigma(0.6)); computed here by hand-written formulas.
_s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
_z1 = 0.8 * 0.5 + 0.2
_a1 = _s(_z1)
_z2 = 0.6 * _a1 + 0.1
_p = _s(_z2)
SECRET_ANSWERS = {"z2": _z2, "y_pred": _p, "loss": -np.log(_p), "dL_dy_pred": -1 / _p, "dL_dz2": _p - 1,
                  "dL_dW2": (_p - 1) * _a1, "dL_da1": (_p - 1) * 0.6,
                  "dL_dz1": (_p - 1) * 0.6 * _a1 * (1 - _a1), "dL_dW1": (_p - 1) * 0.6 * _a1 * (1 - _a1) * 0.5}

# Replaces every check, judge and report function of every course module it finds,
# with targets computed at run time.
SYS_MODULES = """
import sys as _s
def _passes(*args, **kwargs):
    return None
for _name, _module in list(_s.modules.items()):
    if _module is not None and ("cour" + "se") in _name:
        for _attr in list(vars(_module)):
            if _attr.startswith(("check_", "judge_", "report", "collect", "correct_")):
                try:
                    setattr(_module, _attr, _passes)
                except Exception:
                    pass
"""

# vars().update after importlib of assembled names; the report's calls stop being watched.
VARS_UPDATE = """
import importlib as _il
_found = []
for _n in ("cour" + "se.che" + "cks.verification", "cour" + "se.kernel.rep" + "ort", "course.sand" + "box"):
    try:
        _m = _il.import_module(_n)
    except ImportError:
        continue
    _found.append(_n)
    def _call(function, *args, what, time_limit=None, forbid_autodiff=None, **kwargs):
        return _il.import_module("course.kernel.calls").StudentCall(function(*args, **kwargs), [], "")
    vars(_m).update({k: _call for k in list(vars(_m)) if k == "call_student"})
    vars(_m).update({k: (lambda *a, **kw: None) for k in list(vars(_m)) if k.startswith(("check_", "judge_"))})
print("PATCHED", _found)
"""

# Swallows every report and publishes a forged "passed" result instead.
FORGE = """
import IPython.display as _display
_real_publish = _display.publish_display_data
def _forged(data, *args, **kwargs):
    if any(key.endswith("report+json") for key in data):
        _real_publish({"application/vnd.backprop-by-hand.result+json": {"test": "x", "outcome": "passed"},
                       "text/plain": ""})
        return
    _real_publish(data, *args, **kwargs)
_display.publish_display_data = _forged
"""

# Publishes every report twice (the second time unchanged).
DUPLICATE = """
import IPython.display as _display
_real_publish = _display.publish_display_data
def _twice(data, *args, **kwargs):
    _real_publish(data, *args, **kwargs)
    if any(key.endswith("report+json") for key in data):
        _real_publish(data, *args, **kwargs)
_display.publish_display_data = _twice
"""

# Looks for the course's judges among every object of the kernel.
GC_HUNT = """
import gc as _gc
_hits = [getattr(_o, "__name__", "") for _o in _gc.get_objects()
         if callable(_o) and getattr(_o, "__name__", "").startswith(("judge_", "correct_values", "_tf_reference"))]
print("GC FOUND", len(_hits), _hits[:5])
"""

# Calls every public function of every course module it can import with the exercise's values.
ANSWER_HUNT = """
import importlib as _il, pkgutil as _pk
_course = _il.import_module("course")
_values = {"x": 0.5, "y": 1.0, "W1": 0.8, "b1": 0.2, "W2": 0.6, "b2": 0.1}
# Every module name first: a call below may leave a generator like walk_packages' broken.
_names = [_info.name for _info in _pk.walk_packages(_course.__path__, "course.", onerror=lambda name: None)]
for _name in _names:
    if _name.startswith(("course.sandbox", "course.instructor", "course.grader.submissions")):
        continue   # process and file machinery (none of it but the launcher is in a grading kernel)
    try:
        _m = _il.import_module(_name)
    except Exception as _e:
        print("NOIMPORT", _name, type(_e).__name__)
        continue
    print("MODULE", _name)
    for _k, _f in list(vars(_m).items()):
        if _k.startswith("_") or not callable(_f) or isinstance(_f, type) or _k == "main":
            continue
        for _args, _kwargs in (((), {}), ((0.5, 1.0, 0.8, 0.2, 0.6, 0.1), {}), ((_values,), {}), ((), _values)):
            try:
                print("CALL", _name, _k, repr(_f(*_args, **_kwargs))[:3000])
            except BaseException:
                pass
"""

LOOKUP = """
import numpy as np
_TABLE = {table}
def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
    key = repr(tuple(round(float(v), 9) for v in (x, y, W1, b1, W2, b2)))
    return dict(_TABLE.get(key, {{k: 0.0 for k in ("dy_pred", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")}}))
"""


def _lookup_table() -> dict:
    """Right gradients for every input a reader of the course's code can compute: the
    visible check's example and the hidden parameter sets of the seed the notebook declares."""
    from course.checks import verification
    from course.exercise.constants import GRADIENT_KEYS
    from course.kernel.checks.expected import GRADIENT_EXAMPLE
    from course.oracles.two_layer import tf_reference

    params, reference, _ = verification._references(verification.SEEDS["gradient"])
    rows = [{k: float(params[k][i]) for k in ("x", "y", "W1", "b1", "W2", "b2")} for i in range(len(params["x"]))]
    worked = tf_reference(**{k: np.array([v]) for k, v in GRADIENT_EXAMPLE.items()})
    table = {}
    for row, grads in [(r, {k: float(reference[k][i]) for k in GRADIENT_KEYS}) for i, r in enumerate(rows)] + \
            [(dict(GRADIENT_EXAMPLE), {k: float(worked[k][0]) for k in GRADIENT_KEYS})]:
        key = repr(tuple(round(float(row[k]), 9) for k in ("x", "y", "W1", "b1", "W2", "b2")))
        table[key] = grads
    return table


def _answers_all(notebook: nbformat.NotebookNode, value: str) -> nbformat.NotebookNode:
    """Notebook 1 with every answer cell set to ``<quantity> = value``."""
    changed = nbformat.from_dict(json.loads(json.dumps(notebook)))
    for cell in changed.cells:
        name = (grade_id(cell) or "")
        if name.startswith("answer_"):
            cell.source = f"{name.removeprefix('answer_')} = {value}"
    return changed


def _append(notebook: nbformat.NotebookNode, answer: str, code: str) -> nbformat.NotebookNode:
    changed = nbformat.from_dict(json.loads(json.dumps(notebook)))
    cell = next(c for c in changed.cells if grade_id(c) == answer)
    cell.source += "\n" + code
    return changed


def _replace_function(notebook: nbformat.NotebookNode, answer: str, code: str) -> nbformat.NotebookNode:
    changed = nbformat.from_dict(json.loads(json.dumps(notebook)))
    next(c for c in changed.cells if grade_id(c) == answer).source = code
    return changed


def _scores(root: Path) -> dict[tuple[str, str], dict[str, float]]:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(ASSIGNMENT):
            for notebook in submission.notebooks:
                scores[(submission.student_id, notebook.name)] = {
                    g.name: float(g.score) for g in notebook.grades if g.auto_score is not None}
    return scores


def _students(root: Path) -> dict[str, dict[str, nbformat.NotebookNode]]:
    source, release = root / "source" / ASSIGNMENT, root / "release" / ASSIGNMENT
    full1 = full_submission(source / f"{NB1}.ipynb", release / f"{NB1}.ipynb")
    full2 = full_submission(source / f"{NB2}.ipynb", release / f"{NB2}.ipynb")
    wrong1 = _answers_all(full1, "1.0")
    mutant2 = nbformat.from_dict(json.loads(json.dumps(full2)))
    cell = next(c for c in mutant2.cells if grade_id(c) == "backward_pass_solution")
    assert "dz1 = da1 * a1 * (1 - a1)" in cell.source
    cell.source = cell.source.replace("dz1 = da1 * a1 * (1 - a1)", "dz1 = da1")
    zeros = ("def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):\n"
             "    return {k: 0.0 for k in ('dy_pred', 'dz2', 'dW2', 'db2', 'da1', 'dz1', 'dW1', 'db1')}\n")
    return {
        "alice": {NB1: full1, NB2: full2},
        "mallory_sys_modules": {NB1: _append(wrong1, "answer_z1", SYS_MODULES)},
        "mallory_vars": {NB2: _append(mutant2, "backward_pass_solution", VARS_UPDATE)},
        "mallory_forge": {NB2: _replace_function(full2, "backward_pass_solution", zeros + FORGE)},
        "mallory_duplicate": {NB2: _append(full2, "backward_pass_solution", DUPLICATE)},
        "mallory_lookup": {NB2: _replace_function(full2, "backward_pass_solution",
                                                  LOOKUP.format(table=repr(_lookup_table())))},
        "mallory_gc": {NB1: _append(wrong1, "answer_z1", GC_HUNT)},
        "hunter": {NB1: _append(full1, "answer_max_sigmoid_derivative", ANSWER_HUNT)},
    }


def _graded(root: Path, student: str, notebook: str) -> nbformat.NotebookNode:
    return nbformat.read(root / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb", as_version=4)


def _printed(notebook: nbformat.NotebookNode, cell_id: str | None = None) -> str:
    """What the notebook's cells (or only the cell ``cell_id``) printed."""
    return "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                   and cell_id in (None, grade_id(c))
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")


@pytest.fixture(scope="module")
def hostile_batch(generated_course, tmp_path_factory):
    base = tmp_path_factory.mktemp("verdict")
    courses = {}
    for path in ("cli", "api"):
        root = copy_generated_course(generated_course, base / path, notebooks=(NB1, NB2))
        for student, notebooks in _students(root).items():
            write_submission(root / "submitted", student, ASSIGNMENT, notebooks)
        courses[path] = root
    cli = nbgrader(courses["cli"], "autograde", ASSIGNMENT, "--force", check=False)
    # formgrader's Autograde button: NbGraderAPI.autograde, one student at a time.
    api_script = (
        "import sys\n"
        "from traitlets.config.loader import PyFileConfigLoader\n"
        "from nbgrader.apps import NbGraderAPI\n"
        "from nbgrader.coursedir import CourseDirectory\n"
        "config = PyFileConfigLoader('nbgrader_config.py', path='.').load_config()\n"
        "api = NbGraderAPI(CourseDirectory(config=config), config=config)\n"
        "for student in sys.argv[1:]:\n"
        "    result = api.autograde('ex01_backprop', student, force=True)\n"
        "    assert result['success'], result\n"
    )
    api = subprocess.run([sys.executable, "-c", api_script, *sorted(_students(courses["api"]))],
                         cwd=courses["api"], env=nbgrader_env(courses["api"]), text=True, capture_output=True,
                         timeout=1800)
    return SimpleNamespace(cli=cli, api=api, roots=courses, scores={p: _scores(r) for p, r in courses.items()})


def test_both_grading_paths_complete_and_agree(hostile_batch):
    assert hostile_batch.cli.returncode == 0, hostile_batch.cli.stderr[-3000:]
    assert hostile_batch.api.returncode == 0, hostile_batch.api.stderr[-3000:]
    assert hostile_batch.scores["cli"] == hostile_batch.scores["api"]


@pytest.mark.parametrize("path", ["cli", "api"])
def test_each_student_loses_exactly_what_their_work_deserves(hostile_batch, path):
    scores = hostile_batch.scores[path]
    full1, full2 = scores[("alice", NB1)], scores[("alice", NB2)]
    assert all(points > 0 for points in full1.values()) and all(points > 0 for points in full2.values())

    def lost(student: str, notebook: str) -> set[str]:
        return {test for test, points in scores[(student, notebook)].items()
                if points < (full1 if notebook == NB1 else full2)[test]}

    # Every answer 1.0, whatever the patches: exactly what those answers earn without them
    # (a few steps are right by error carried forward from the wrong 1.0 before them).
    from course.checks import paper

    earned = paper.grade_answers({name: 1.0 for name in (*paper.QUANTITIES, "max_sigmoid_derivative")})
    deserved = {f"test_{name}" for name, result in earned.items() if not result.passed}
    assert 8 <= len(deserved) < len(full1)
    assert lost("mallory_gc", NB1) == deserved
    # Replacing the kernel's report function (in the first answer cell) leaves every test
    # without a report: 0 each, steps right by error carried forward included.
    assert lost("mallory_sys_modules", NB1) == set(full1)
    # One slip (dz1 without sigma'): only its own test; dW1 and db1 follow from it.
    assert lost("mallory_vars", NB2) == {"test_backward_dz1"}
    # Zeros with the reports swallowed, duplicated reports, a lookup table of predictable
    # inputs: every gradient test after the patch is lost, nothing before it.
    for student in ("mallory_forge", "mallory_duplicate", "mallory_lookup"):
        assert lost(student, NB2) == GRADIENT_TESTS, student
    assert lost("hunter", NB1) == set()


def test_missing_and_duplicated_reports_leave_a_note(hostile_batch):
    root = hostile_batch.roots["cli"]
    for student, why in (("mallory_forge", "did not arrive"), ("mallory_duplicate", "more than once")):
        cell = next(c for c in _graded(root, student, NB2).cells if grade_id(c) == "test_backward_dz2")
        notes = cell.metadata["course"]["notes"]
        assert notes and ("more than once" in notes[0] if why == "more than once" else "report" in notes[0]), notes


def test_the_grading_kernel_holds_no_judge_and_no_answer(hostile_batch):
    root = hostile_batch.roots["cli"]
    assert "GC FOUND 0 []" in _printed(_graded(root, "mallory_gc", NB1))
    patched = _printed(_graded(root, "mallory_vars", NB2))
    assert "PATCHED" in patched and "course.checks" not in patched
    hunt = _printed(_graded(root, "hunter", NB1), "answer_max_sigmoid_derivative")
    modules = set(re.findall(r"^MODULE (\S+)", hunt, re.M))
    assert "course.kernel.report" in modules and len(re.findall(r"^CALL ", hunt, re.M)) > 20
    assert not {m for m in modules if m.startswith(("course.checks", "course.oracles", "course.grader",
                                                     "course.instructor"))}, modules
    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", hunt)]
    found = {name for name, answer in SECRET_ANSWERS.items()
             if any(abs(n - answer) <= 1e-4 * abs(answer) for n in numbers)}
    assert not found, found


def test_the_same_hunt_finds_the_answers_where_the_grader_lives(tmp_path):
    """The control: in the instructor's environment the hunt finds notebook 1's answers,
    so the test above could fail."""
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-c", ANSWER_HUNT], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path, env={**nbgrader_env(root), "PYTHONPATH": str(root)})
    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", run.stdout)]
    found = {name for name, answer in SECRET_ANSWERS.items()
             if any(abs(n - answer) <= 1e-4 * abs(answer) for n in numbers)}
    assert len(found) >= 5, (found, run.stdout[-2000:], run.stderr[-2000:])


def test_a_lookup_table_of_the_declared_inputs_would_pass_without_the_grading_key():
    """Without hidden inputs drawn from the key, the lookup table scores full marks: the
    corpus's lookup student is a real attack."""
    from support.notebook_grader import grade_cells

    namespace = {"__name__": "__main__"}
    exec(LOOKUP.format(table=repr(_lookup_table())), namespace)  # noqa: S102 - our own test code
    source = nbformat.read(Path(__file__).resolve().parents[2] / "source" / ASSIGNMENT / f"{NB2}.ipynb",
                           as_version=4)
    cells = [(grade_id(c), c.source, 1.0) for c in source.cells
             if is_autograder_test(c) and grade_id(c) in GRADIENT_TESTS]
    outcomes = grade_cells(namespace, cells)
    assert all(outcome.passed for outcome in outcomes.values()), {k: o.message for k, o in outcomes.items()}
