"""Student code that rebinds builtins or numpy cannot change a verdict (course/kernel/pristine.py).

Each test rebinds what a check calls the way student code in the grading kernel could
(``builtins.abs = …`` inside a student's function, say) and checks that a wrong answer
still fails and a right one still passes.
"""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from support import gradient_flow_corpus as corpus
from course.kernel import pristine
from course.checks import gradient_flow
from course.kernel.coerce import close, first_mismatch
from course.kernel.messages import GradingError
from course.exercise.networks import init_params


def test_captures_are_the_originals():
    for name in ("abs", "dict", "float", "isinstance", "len", "list", "max", "min", "range", "tuple", "zip"):
        assert getattr(pristine, name) is getattr(builtins, name), name
    assert pristine.np_array is np.array and pristine.default_rng is np.random.default_rng


def test_an_abs_that_says_zero_does_not_make_numbers_close(monkeypatch):
    monkeypatch.setattr(builtins, "abs", lambda value: 0.0)
    assert not close(1.0, 2.0, 1e-3)
    assert close(1.0, 1.0005, 1e-3)


def test_an_empty_zip_does_not_hide_a_mismatch(monkeypatch):
    got, expected = np.array([1.0, 2.0, 5.0]), np.array([1.0, 2.0, 4.0])
    monkeypatch.setattr(builtins, "zip", lambda *iterables: iter(()))
    assert first_mismatch(got, expected, 1e-3, 0.0) == ((2,), 5.0, 4.0)


def test_a_patched_rng_does_not_change_the_given_weights(monkeypatch):
    before = init_params([3, 4, 1], seed=5)
    monkeypatch.setattr(np.random, "default_rng", lambda *a, **k: np.random.Generator(np.random.PCG64(99)))
    after = init_params([3, 4, 1], seed=5)
    assert all(np.array_equal(w0, w1) and np.array_equal(b0, b1) for (w0, b0), (w1, b1) in zip(before, after))


@pytest.mark.parametrize("name", ["missing_transpose", "layers_reversed"])
def test_a_student_function_that_rebinds_builtins_still_fails(name):
    """The student's analyze_gradient_flow rebinds abs and max while the check runs."""
    wrong = corpus.MUTANTS[name]["analyze_gradient_flow"]
    saved = {n: getattr(builtins, n) for n in ("abs", "max")}

    def tampering(*args, **kwargs):
        builtins.abs = lambda value: 0.0              # every difference looks like zero
        builtins.max = lambda *values, **kw: 1e300    # and the tolerance is huge
        return wrong(*args, **kwargs)

    try:
        with pytest.raises(GradingError):
            gradient_flow.check_analyze_gradient_flow(tampering, hidden=True)
    finally:  # before pytest itself needs them again
        for n, original in saved.items():
            setattr(builtins, n, original)
