"""Unit tests of the shared grading core: feedback, coercion, sandboxed calls."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

from course.kernel.coerce import as_array, as_scalar, close, first_mismatch
from course.kernel.messages import GradingError, fmt, passed
from course.kernel.calls import call_student


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


# --- feedback -------------------------------------------------------------------

def test_grading_error_renders_only_its_message():
    error = GradingError("dL/dz2 should include y_pred*(1-y_pred)\nchecked against your y_pred")
    assert error._render_traceback_() == ["\u2717 dL/dz2 should include y_pred*(1-y_pred)",
                                          "  checked against your y_pred"]
    assert isinstance(error, AssertionError)


def test_passed_prints_to_stdout(capsys):
    passed("z1 is right")
    captured = capsys.readouterr()
    assert captured.out == "\u2713 z1 is right\n" and captured.err == ""


def test_fmt():
    assert fmt(0.123456789) == "0.123457" and fmt(float("nan")) == "nan"


# --- coercion ---------------------------------------------------------------------

@pytest.mark.parametrize("value", [0.6, 3 / 5, np.float32(0.6), np.float64(0.6), np.array(0.6),
                                   np.array([[0.6]]), np.array([0.6], dtype=np.float32), [0.6], [[0.6]]])
def test_every_scalar_form_is_accepted(value):
    assert as_scalar(value, "a1") == pytest.approx(0.6, rel=1e-7)


@pytest.mark.parametrize("value, words", [
    (None, "None"), ("0.6", "text"), (b"0.6", "text"), (True, "bool"), ({"a1": 0.6}, "dict"),
    (float("nan"), "finite"), (float("inf"), "finite"), ([0.6, 0.7], "single number"),
    (AlwaysEqual(), "number"), (object(), "number"), (np.array(["a"]), "number"),
])
def test_bad_scalars_get_a_clear_message(value, words):
    with pytest.raises(GradingError, match="a1") as raised:
        as_scalar(value, "a1")
    assert words in str(raised.value)


def test_as_array_copies_and_reshapes():
    original = np.array([[1.0], [2.0]], dtype=np.float32)
    result = as_array(original, "dW", shape=(2,))
    assert result.dtype == np.float64 and result.shape == (2,) and type(result) is np.ndarray
    result[0] = 99
    assert original[0, 0] == 1.0
    with pytest.raises(GradingError, match="shape"):
        as_array(np.zeros(3), "dW", shape=(2,))


def test_array_subclasses_lose_their_behaviour():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool)

    liar = np.zeros(2).view(Liar)
    assert type(as_array(liar, "x")) is np.ndarray
    assert first_mismatch(as_array(liar, "x"), np.ones(2), 1e-6, 0) is not None


def test_capture_survives_patching(monkeypatch):
    monkeypatch.setattr(np, "array", lambda *a, **k: np.zeros(1))
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(math, "isfinite", lambda x: True)
    assert as_scalar(0.25, "x") == 0.25
    with pytest.raises(GradingError):
        as_scalar(float("nan"), "x")


@given(st.floats(allow_nan=False, allow_infinity=False, width=64),
       st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1))
def test_close_matches_its_definition(expected, rtol, atol):
    got = expected + (atol + rtol * abs(expected)) * 0.5
    assert close(got, expected, rtol, atol) or not math.isfinite(got)
    assert not close(float("nan"), expected, rtol, atol)


def test_first_mismatch_reports_the_first_wrong_element():
    got = np.array([[1.0, 2.0], [3.0, 5.0]])
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert first_mismatch(got, expected, 1e-6, 0.0) == ((1, 1), 5.0, 4.0)
    assert first_mismatch(expected, expected, 0.0, 0.0) is None


# --- sandboxed calls -------------------------------------------------------------------

def test_call_student_returns_value_and_records_warnings():
    result = call_student(lambda z: np.exp(z), 1000.0, what="sigmoid(1000)")
    assert result.value == np.inf
    assert any("overflow" in message for message in result.runtime_warnings())


def test_call_student_keeps_stderr_out_of_the_cell(capsys):
    def noisy():
        print("debug", file=sys.stderr)
        warnings.warn("careful", stacklevel=1)
        return 1

    assert call_student(noisy, what="noisy()").stderr == "debug\n"
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("body, message", [
    ("raise ValueError('shapes (1,2) and (3,1) not aligned')", "raised ValueError: shapes"),
    ("raise NotImplementedError()", "not implemented yet"),
    ("import sys; sys.exit(0)", "stop the Python process"),
    ("import os; os._exit(0)", "stop the Python process"),
    ("exit()", "sys.exit"),
    ("while True: pass", "did not finish"),
])
def test_call_student_turns_misbehaviour_into_feedback(body, message):
    namespace = {}
    exec(f"def student():\n    {body}\n", namespace)
    with pytest.raises(GradingError, match=message):
        call_student(namespace["student"], what="student()", time_limit=0.5)
    assert callable(sys.exit)


def test_call_student_rejects_non_functions():
    with pytest.raises(GradingError, match="should be a function"):
        call_student(42, what="sigmoid(0)")
