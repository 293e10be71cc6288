"""The grader's half of a test (course/grader/) and the kernel's report (course/kernel/).

Fast: no kernel, no nbgrader run.  The corpora of tests/notebook*/test_*_checks.py already grade
every student variant through plan → report → replay (tests/support/notebook_grader.py); these
tests pin the pieces: the codec, the declarations, the hidden seeds and what happens to
a report that is missing, garbled or duplicated.
"""

from __future__ import annotations

import ast
import json
import math
import os
import stat
from decimal import Decimal
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course.grader.cells import grade_id, is_autograder_test
from course.checks.result import Outcome
from course.grader.declarations import declarations
from course.grader.hidden_inputs import grading_key, hidden_seed
from course.grader.judges import JUDGES, NO_REPORT
from course.grader.judging import judge_cell, plan_cell, report_source
from course.sandbox.bubblewrap import STUDENT_SIDE
from course.kernel.codec import CallableStandIn, decode, encode
from course.kernel.report import REPORT_MIME, collect

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "source" / "ex01_backprop").glob("*.ipynb"))


# --- codec ---------------------------------------------------------------------------------

def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=True), st.text(max_size=20),
    hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.bool_]), hnp.array_shapes(max_dims=3, max_side=4)),
)
_values = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(st.text(max_size=5), inner, max_size=4)), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_a_reported_value_comes_back_exactly(value):
    assert _same(decode(json.loads(json.dumps(encode(value)))), value)


def test_numpy_scalars_tensors_functions_and_odd_objects_keep_what_a_judge_reads():
    assert type(decode(encode(np.float32(0.25)))) is np.float32
    assert decode(encode(np.float64(-0.0))) == 0.0
    tensor_like = type("EagerTensor", (), {"__array__": lambda self, dtype=None, copy=None: np.array([[0.5]])})()
    back = decode(encode(tensor_like))
    assert isinstance(back, np.ndarray) and back.shape == (1, 1) and back[0, 0] == 0.5
    assert float(decode(encode(Decimal("0.125")))) == 0.125
    function = decode(encode(lambda x: x), "deep_forward")
    assert isinstance(function, CallableStandIn) and function.label == "deep_forward" and callable(function)
    assert type(decode(encode({1, 2}))).__name__ == "set"


# --- declarations --------------------------------------------------------------------------

def _test_cells():
    for path in SOURCES:
        for cell in nbformat.read(path, as_version=4).cells:
            if is_autograder_test(cell):
                yield path.stem, cell


def test_every_test_cell_only_declares_checks_the_grader_judges():
    """No verdict can be left in the kernel: every autograded test cell of the course
    calls checks only, and each check has a judge."""
    for notebook, cell in _test_cells():
        found = declarations(cell.source, grade_id(cell))
        assert found, (notebook, grade_id(cell))
        assert {d.check for d in found} <= set(JUDGES), (notebook, grade_id(cell))


def test_a_test_cell_mixing_checks_and_other_code_is_refused():
    with pytest.raises(ValueError, match="may only import and call"):
        declarations("check_quantity('z1', globals())\nassert True")
    assert declarations("assert 1 + 1 == 2") == []


# --- hidden inputs -------------------------------------------------------------------------

def test_the_grading_key_is_made_once_private_and_kept(tmp_path):
    path = tmp_path / "course" / ".grading-key"
    key = grading_key(path)
    assert grading_key(path) == key and len(key) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_hidden_inputs_differ_between_students_and_repeat_on_a_regrade(tmp_path):
    key = grading_key(tmp_path / ".grading-key")
    identity = dict(course="c", assignment="a", notebook="02_code_verification", stream="check_gradient:2401")
    alice = hidden_seed(key, student="alice", **identity)
    assert alice == hidden_seed(key, student="alice", **identity)
    assert alice != hidden_seed(key, student="bob", **identity)
    assert alice != hidden_seed(grading_key(tmp_path / "other-key"), student="alice", **identity)

    source = next(c.source for nb, c in _test_cells() if grade_id(c) == "test_backward_dW1")
    plans = {seed: plan_cell(source, lambda stream, seed=seed: seed) for seed in (alice, alice + 1)}
    hidden_inputs = {seed: json.dumps(plan.plan.calls[1:]) for seed, plan in plans.items()}
    assert hidden_inputs[alice] != hidden_inputs[alice + 1]
    assert hidden_inputs[alice] == json.dumps(plan_cell(source, lambda stream: alice).plan.calls[1:])


# --- reports that did not arrive as sent -----------------------------------------------------

def _student_sigmoid(z):
    """An honest student's sigmoid (the piecewise form that never overflows)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.fixture(scope="module")
def sigmoid_cell():
    source = next(c.source for nb, c in _test_cells() if grade_id(c) == "test_sigmoid_values")
    cell_plan = plan_cell(source, lambda stream: 7)
    namespace = {"sigmoid": _student_sigmoid}
    return cell_plan, namespace


def _display(payload) -> dict:
    return {"output_type": "display_data", "data": {REPORT_MIME: payload, "text/plain": ""}}


def test_an_honest_report_passes(sigmoid_cell):
    cell_plan, namespace = sigmoid_cell
    verdict = judge_cell(cell_plan, [_display(collect(cell_plan.plan.as_dict(cell_plan.plan_id), namespace))])
    assert [r.outcome for r in verdict.results] == [Outcome.PASSED, Outcome.PASSED] and not verdict.notes


@pytest.mark.parametrize("outputs, why", [
    (lambda report: [], "did not run"),
    (lambda report: [_display(report), _display(report)], "more than once"),
    (lambda report: [_display({**report, "plan": "forged"})], "garbled"),
    (lambda report: [_display({**report, "calls": report["calls"][:-1]})], "every call"),
    # A kernel claiming a misconception id the registry does not declare: garbled, never a new report key.
    (lambda report: [_display({**report, "calls": [{"error": "wrong", "misconception": "made_up_id"},
                                                   *report["calls"][1:]]})], "could not be read"),
    (lambda report: [{"output_type": "error", "ename": "DeadKernelError", "evalue": "", "traceback": []}],
     "stopped before"),
])
def test_a_missing_garbled_or_duplicated_report_scores_zero_with_a_note(sigmoid_cell, outputs, why):
    cell_plan, namespace = sigmoid_cell
    report = collect(cell_plan.plan.as_dict(cell_plan.plan_id), namespace)
    verdict = judge_cell(cell_plan, outputs(report), "test_sigmoid_values")
    assert verdict.result.outcome is Outcome.FAILED and verdict.result.misconception == NO_REPORT
    assert why in verdict.result.message and verdict.notes
    assert [o["output_type"] for o in verdict.outputs()][-1] == "error"   # nbgrader scores it 0


def test_the_kernel_runs_a_report_and_nothing_else(sigmoid_cell):
    cell_plan, _ = sigmoid_cell
    tree = ast.parse(report_source(cell_plan))
    assert len(tree.body) == 1 and "course.kernel.report" in ast.unparse(tree)
    assert "judge" not in report_source(cell_plan) and "check_" not in report_source(cell_plan)


# --- what a kernel can import ---------------------------------------------------------------

def _imports(path: Path) -> set[str]:
    names = set()
    package = "course." + ".".join(path.relative_to(ROOT / "course").with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.rstrip(".").split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            names.add(base)
    return names


def test_the_student_side_imports_nothing_of_the_grader():
    files = [p for name in STUDENT_SIDE for p in ([ROOT / "course" / name] if name.endswith(".py")
                                                    else sorted((ROOT / "course" / name).rglob("*.py")))]
    shown = {".".join(("course", *p.relative_to(ROOT / "course").with_suffix("").parts)) for p in files}
    for path in files:
        for name in _imports(path):
            if name.startswith("course."):
                module = name.removesuffix(".__init__")
                assert any(module == s or module.startswith(s + ".") or s.startswith(module + ".")
                           for s in shown | {"course"}), (path.name, name)
