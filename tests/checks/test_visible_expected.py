"""The visible checks' constant tables equal what the grader's oracles give.

course/kernel/checks/expected_tables.py holds the only expected values a student's kernel
has (see course/kernel/checks/expected.py).  Here they are recomputed with the grader's
oracles (tf.GradientTape in float64) and compared, for the visible cases' specs (sizes,
seeds, activations) of course.kernel.checks.gradient_flow (the grader judges a visible
call with the visible check itself).  ``python tests/checks/test_visible_expected.py
--write`` rewrites the file from the oracles.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from course.kernel.checks import expected as kernel_expected  # noqa: E402
from course.kernel.checks import gradient_flow as kernel_flow  # noqa: E402
from course.kernel.checks import verification as kernel_verification  # noqa: E402
from course.exercise.networks import init_params  # noqa: E402

SIGMOID_EXTREMES_Z = [[-1000.0, -50.0, -1.0], [0.0, 3.0, 1000.0]]


def _nested(value):
    if isinstance(value, (list, tuple)):
        return [_nested(v) for v in value]
    return np.asarray(value, dtype=np.float64).tolist()


def _x(sizes, seed, x_scale=1.0):
    return np.random.default_rng(1000 + seed).standard_normal(sizes[0]) * x_scale


def compute() -> dict:
    """Every table, from the grader's oracles."""
    from course.oracles import deep, two_layer

    out: dict = {}
    out["sigmoid_extremes"] = {"z": SIGMOID_EXTREMES_Z,
                               "sigmoid": _nested(two_layer.sigmoid_reference(np.array(SIGMOID_EXTREMES_Z)))}
    point = {k: np.array([v]) for k, v in kernel_expected.GRADIENT_EXAMPLE.items()}
    reference = two_layer.tf_reference(**point)
    out["gradient_example"] = {k: float(v[0]) for k, v in reference.items()}

    def case(sizes, seed, activation, y=1.0, x_scale=1.0):
        x = _x(sizes, seed, x_scale)
        params = init_params(sizes, seed)
        zs, acts = deep.forward(x, params, activation)
        grads = deep.gradients(x, y, params, activation)
        return x, params, zs, acts, grads

    (sizes, seed, activation), = kernel_flow._FORWARD_VISIBLE
    x, _, zs, acts, _ = case(sizes, seed, activation)
    out["deep_forward"] = {"x": _nested(x), "zs": _nested(zs), "activations": _nested(acts)}

    (spec,) = kernel_flow._BACKWARD_VISIBLE
    out["deep_backward"] = {}
    for activation in ("sigmoid", "relu", "tanh"):
        x, _, zs, acts, grads = case(spec["sizes"], spec["seed"], activation)
        out["deep_backward"][activation] = {"x": _nested(x), "zs": _nested(zs), "activations": _nested(acts),
                                            "grads": _nested(grads)}

    out["analyze"] = []
    for sizes, activation, seed, y in kernel_flow._ANALYZE_VISIBLE:
        x, _, zs, acts, grads = case(sizes, seed, activation, y=y)
        entry = {"x": _nested(x),
                 "norms": [deep.frobenius(dW) for dW, _ in grads],
                 "activation_norms": [deep.frobenius(a) for a in acts],
                 "z_norms": [deep.frobenius(z) for z in zs],
                 "bias_gradient_norms": [deep.frobenius(db) for _, db in grads]}
        if seed != 0:
            entry["seed_0_norms"] = _nested(deep.reference_analyze(x, y, sizes, activation, 0, scale=1.0))
        if activation != "sigmoid":
            entry["sigmoid_norms"] = _nested(deep.reference_analyze(x, y, sizes, "sigmoid", seed, scale=1.0))
        out["analyze"].append(entry)
    return out


def _assert_close(ours, theirs, where="") -> None:
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs), where
        for key in theirs:
            _assert_close(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _assert_close(a, b, f"{where}[{i}]")
    else:
        assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-15), (where, ours, theirs)


@pytest.fixture(scope="module")
def recomputed() -> dict:
    return compute()


def test_tables_equal_the_oracles(recomputed):
    from course.kernel.checks.expected_tables import TABLES

    _assert_close(TABLES, recomputed)


def test_visible_specs_are_the_graders():
    from course.checks import verification as grader_verification

    assert kernel_verification.GRADIENT_KEYS == grader_verification.GRADIENT_KEYS
    assert (kernel_verification.RTOL, kernel_verification.ATOL) == (grader_verification.RTOL, grader_verification.ATOL)


def test_gradient_example_is_off_notebook_1s_values_and_not_degenerate(recomputed):
    """The point is no per-student draw (those keep y = 1), its sigmoids are unsaturated,
    every gradient is clearly non-zero, and each named mistake gives a value at least 5 %
    away from the right one (so the visible check can tell them apart)."""
    from course.exercise import values
    from course.kernel.checks import two_layer

    point = dict(kernel_expected.GRADIENT_EXAMPLE)
    assert point["y"] not in values.GRID["y"] and point["x"] not in values.GRID["x"]
    assert point != dict(values.EXERCISE.as_dict())
    r = recomputed["gradient_example"]
    assert abs(r["z1"]) < 2 and abs(r["z2"]) < 2
    for key in kernel_verification.GRADIENT_KEYS:
        assert abs(r[key]) > 0.05, key
    ref = {k: np.array([v]) for k, v in r.items()}
    params = {k: np.array([v]) for k, v in point.items()}
    for key in kernel_verification.GRADIENT_KEYS:
        for misconception, reason, wrong in two_layer.hypotheses(key, ref, params):
            if misconception == "missing_cross_entropy_term":
                continue  # with y = 0 that mistake gives 0, far from the right value anyway
            assert abs(float(wrong[0]) - r[key]) > 0.05 * abs(r[key]), (key, reason)


def write(path: Path) -> None:
    """Write the tables as a Python module (plain literals, wrapped to short lines)."""
    import pprint

    header = ('"""Generated by ``python tests/checks/test_visible_expected.py --write`` from the grader\'s oracles:\n'
              "the visible checks' expected values (see course/kernel/checks/expected.py).  Do not edit.\n"
              '"""\n\n')
    path.write_text(header + "TABLES = " + pprint.pformat(compute(), width=110, sort_dicts=True) + "\n",
                    encoding="utf-8")


if __name__ == "__main__" and "--write" in sys.argv:
    write(kernel_expected.PATH)
    print(f"wrote {kernel_expected.PATH}")
