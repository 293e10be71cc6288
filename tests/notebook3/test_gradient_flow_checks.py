"""Notebook 3 (gradient flow): grader corpus, oracle and initialisation (the explorer: test_widgets.py).

The corpus runs the graded test cells of the SOURCE notebook (hidden parts included)
in-process against correct variants and mutants from ``support.gradient_flow_corpus``.
Expected values come from TensorFlow (the oracle) and from an independent float64
central difference here; nothing is copied from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from course.checks import gradient_flow as checks
from course.kernel.checks import gradient_flow as visible_checks
from course.kernel.messages import GradingError
from course.kernel.result import RESULT_MIME, Outcome, Result
from course.exercise.networks import DEMO_LAYER_SIZES, DEMO_X, DEMO_Y, init_params, init_scale
from course.oracles import deep as oracle

from support import gradient_flow_corpus as corpus
from support.notebook_grader import grade, graded_cells

ALL_TESTS = {
    "test_deep_forward": 2, "test_deep_backward_sigmoid": 2, "test_deep_backward_relu": 2,
    "test_deep_backward_tanh": 1, "test_analyze_gradient_flow": 2, "test_vanishing_phenomenon": 1,
    "test_gradient_after_10_layers": 1,
}

# mutant -> (tests it must lose, words its feedback must contain).  One slip costs one
# step: a wrong deep_backward loses its backward tests only, because the analysis tests
# judge analyze_gradient_flow against the student's own deep_forward/deep_backward too.
BACKWARD_TESTS = {"test_deep_backward_sigmoid", "test_deep_backward_relu", "test_deep_backward_tanh"}
MUTANT_EXPECTATIONS = {
    "missing_transpose": (BACKWARD_TESTS, ["transpose"]),
    "relu_output_as_derivative": ({"test_deep_backward_relu"}, ["ReLU derivative"]),
    "dead_relu_derivative": ({"test_deep_backward_relu"}, ["dead"]),
    "layers_reversed": (BACKWARD_TESTS, ["reverse"]),
    "norms_reversed_only": ({"test_analyze_gradient_flow", "test_vanishing_phenomenon"}, ["reversed"]),
    "norms_of_activations": ({"test_analyze_gradient_flow", "test_vanishing_phenomenon"}, ["activations"]),
    "hard_coded_norms": ({"test_analyze_gradient_flow", "test_vanishing_phenomenon"}, ["hard-coded"]),
    "sigmoid_derivative_of_z": ({"test_deep_backward_sigmoid"}, ["a * (1 - a)"]),
    "tanh_derivative_without_square": ({"test_deep_backward_tanh"}, ["1 - a**2"]),
    "output_uses_hidden_activation": ({"test_deep_forward"}, ["output layer"]),
    "tape_in_backward": (BACKWARD_TESTS, ["by hand"]),
    "q2_added_not_multiplied": ({"test_gradient_after_10_layers"}, ["multiply"]),
    "not_implemented": (set(ALL_TESTS), ["not implemented"]),
}


# ------------------------------------------------------------------------------ corpus
def test_notebook_tests_are_the_expected_ones():
    assert {grade_id: points for grade_id, _, points in graded_cells(corpus.NOTEBOOK)} == ALL_TESTS
    assert set(MUTANT_EXPECTATIONS) == set(corpus.MUTANTS)


@pytest.mark.parametrize("name", sorted(corpus.CORRECT))
def test_correct_variant_earns_every_point(name):
    grades = grade(corpus.NOTEBOOK, corpus.CORRECT[name])
    lost = {k: g.message for k, g in grades.items() if g.points != ALL_TESTS[k]}
    assert not lost, f"{name} lost points: {lost}"


@pytest.mark.parametrize("name", sorted(corpus.MUTANTS))
def test_mutant_loses_exactly_the_targeted_points(name):
    targeted, words = MUTANT_EXPECTATIONS[name]
    grades = grade(corpus.NOTEBOOK, corpus.MUTANTS[name])   # fails on a check that crashed
    lost = {k for k, g in grades.items() if g.points == 0}
    assert lost == targeted, f"{name}: lost {sorted(lost)}, expected {sorted(targeted)}"
    for word in words:
        assert any(word in grades[k].message for k in targeted), (name, word, grades.messages(targeted))


@pytest.mark.parametrize("mutant, activation", [("sigmoid_derivative_of_z", "sigmoid"),
                                                 ("relu_output_as_derivative", "relu"),
                                                 ("tanh_derivative_without_square", "tanh")])
def test_one_activation_slip_costs_only_its_own_test(mutant, activation):
    """Issue 10: a slip in one activation's derivative loses that activation's backward
    test and nothing else; the analysis tests accept norms consistent with it."""
    grades = grade(corpus.NOTEBOOK, corpus.MUTANTS[mutant])
    lost = {k for k, g in grades.items() if g.points < ALL_TESTS[k]}
    assert lost == {f"test_deep_backward_{activation}"}, grades.messages(lost)
    assert "your own deep_forward and deep_backward" in grades["test_analyze_gradient_flow"].message


def test_analysis_is_still_judged_when_the_backward_pass_is_wrong():
    """Error carried forward is not a free pass: a wrong analysis on top of a wrong
    backward pass still fails."""
    wrong_backward = corpus.make_backward(deriv=corpus._tanh_derivative_without_square)
    analyze = corpus.make_analyze(corpus.forward_loop, wrong_backward, post=lambda n, *_: n * 2)
    analysis = grade(corpus.NOTEBOOK, corpus.student(backward=wrong_backward, analyze=analyze))["test_analyze_gradient_flow"]
    assert analysis.points == 0, analysis.message


def test_feedback_names_the_first_wrong_layer():
    message = grade(corpus.NOTEBOOK, corpus.MUTANTS["sigmoid_derivative_of_z"])["test_deep_backward_sigmoid"].message
    assert "layer 1" in message and "first wrong" in message  # [3, 4, 2, 1]: layer 2 is right
    assert "Traceback" not in message


def test_float32_tolerance_is_not_too_loose():
    """A 1 % error in one layer of one case must fail, although float32 code passes."""
    base = corpus.make_analyze(corpus.forward_loop, corpus.make_backward())

    def off_by_one_percent(x, y, layer_sizes, activation="sigmoid", seed=0):
        norms = base(x, y, layer_sizes, activation, seed)
        norms[0] *= 1.01
        return norms

    with pytest.raises(GradingError):
        checks.check_analyze_gradient_flow(off_by_one_percent, hidden=True)


def test_backward_check_survives_mutating_inputs_and_weird_returns():
    correct = corpus.make_backward()

    def mutating(y, zs, activations, params, activation="sigmoid"):
        grads = correct(y, zs, activations, params, activation)
        for W, _ in params:
            W *= 0.0  # must not change what the check compares against
        zs.clear()
        return grads

    checks.check_deep_backward(mutating, "tanh", hidden=True)

    class AlwaysEqual(list):
        def __eq__(self, other):
            return True

    with pytest.raises(GradingError):
        checks.check_deep_backward(lambda *a, **k: AlwaysEqual([1]), "sigmoid")
    with pytest.raises(GradingError, match="should be a list"):
        checks.check_deep_backward(lambda *a, **k: None, "sigmoid")


# ------------------------------------------------------------------------------ phenomenon
def test_default_init_shows_the_phenomenon_on_the_oracle():
    """CI guard: a change of initialisation that hides vanishing gradients fails here."""
    sig = oracle.reference_analyze(DEMO_X, DEMO_Y, DEMO_LAYER_SIZES, "sigmoid", 0)
    relu = oracle.reference_analyze(DEMO_X, DEMO_Y, DEMO_LAYER_SIZES, "relu", 0)
    assert len(DEMO_LAYER_SIZES) - 1 == 5
    assert sig[0] * 10 <= sig[-1], f"sigmoid first/last = {sig[0] / sig[-1]:.3g}, must be <= 0.1"
    assert max(relu) / min(relu) <= checks.RELU_MAX_SPREAD
    assert np.all(np.diff(sig) > 0), "sigmoid gradients should grow monotonically towards the output"
    ratio, spread = checks.phenomenon_ratios(sig, relu)
    assert ratio <= checks.SIGMOID_MAX_FIRST_OVER_LAST and spread <= checks.RELU_MAX_SPREAD


def test_phenomenon_check_passes_the_oracle_itself():
    checks.check_vanishing_phenomenon(
        lambda x, y, sizes, activation="sigmoid", seed=0: oracle.reference_analyze(x, y, sizes, activation, seed))


# ------------------------------------------------------------------------------ init_params + oracle
def test_init_params_contract():
    params = init_params([3, 5, 2, 1], seed=7)
    assert [(W.shape, b.shape) for W, b in params] == [((5, 3), (5,)), ((2, 5), (2,)), ((1, 2), (1,))]
    assert all(W.dtype == np.float64 and b.dtype == np.float64 for W, b in params)
    assert all(not b.any() for _, b in params)
    again = init_params([3, 5, 2, 1], seed=7)
    assert all(np.array_equal(W, W2) for (W, _), (W2, _) in zip(params, again))
    other = init_params([3, 5, 2, 1], seed=8)
    assert not np.array_equal(params[0][0], other[0][0])
    with init_scale(3.0):
        scaled = init_params([3, 5, 2, 1], seed=7)
        explicit = init_params([3, 5, 2, 1], seed=7, scale=1.0)
    assert np.allclose(scaled[1][0], 3.0 * params[1][0])
    assert np.array_equal(explicit[1][0], params[1][0])
    assert np.array_equal(init_params([3, 5, 2, 1], seed=7)[1][0], params[1][0])  # context restored
    with pytest.raises(ValueError):
        init_params([4])


def _numpy_loss(x, y, params, activation):
    g = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}[activation]
    a = x
    for i, (W, b) in enumerate(params):
        z = W @ a + b
        a = 1 / (1 + np.exp(-z)) if i == len(params) - 1 else g(z)
    p = float(a[0])
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_oracle_matches_central_difference(activation):
    sizes, seed, y = [3, 4, 2, 1], 5, 1.0
    params = init_params(sizes, seed)
    x = np.array([0.3, -0.8, 1.1])
    grads = oracle.gradients(x, y, params, activation)
    h = 1e-6
    for layer, (W, b) in enumerate(params):
        for target, grad in ((W, grads[layer][0]), (b, grads[layer][1])):
            assert grad.shape == target.shape and grad.dtype == np.float64
            for index in np.ndindex(target.shape):
                saved = target[index]
                target[index] = saved + h
                up = _numpy_loss(x, y, params, activation)
                target[index] = saved - h
                down = _numpy_loss(x, y, params, activation)
                target[index] = saved
                assert grad[index] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)
    assert oracle.loss(x, y, params, activation) == pytest.approx(_numpy_loss(x, y, params, activation))
    norms = oracle.gradient_norms(x, y, params, activation)
    assert norms == pytest.approx([np.linalg.norm(dW) for dW, _ in grads])


def test_relu_cases_have_no_exact_kinks():
    """relu'(0) is a convention: no graded case may put a pre-activation exactly on 0."""
    specs = [(s["sizes"], s["seed"], s.get("x_scale", 1.0), s.get("w_scale", 1.0))
             for s in visible_checks._BACKWARD_VISIBLE + checks._BACKWARD_HIDDEN]
    specs = [spec + (None,) for spec in specs]
    specs += [(sizes, seed, 1.0, 1.0, DEMO_X if tuple(sizes) == tuple(DEMO_LAYER_SIZES) else None)
              for sizes, activation, seed, _ in visible_checks._ANALYZE_VISIBLE + checks._ANALYZE_HIDDEN
              if activation == "relu"]
    specs += [(DEMO_LAYER_SIZES, 0, 1.0, 1.0, DEMO_X)]
    for sizes, seed, x_scale, w_scale, x in specs:
        case = checks._Case(sizes, seed, "relu", x_scale=x_scale, w_scale=w_scale, x=x)
        assert all(np.all(z != 0) for z in case.zs), (sizes, seed)


# ------------------------------------------------------------------------------ reflection
@pytest.mark.parametrize("value, ok", [(0.25 ** 10, True), (9.54e-7, True), ("9.54e-7", False), (9.5e-7, False),
                                       (2.5, False), (np.float32(9.537e-7), True), (np.array([[9.537e-7]]), True),
                                       (None, False), (0.25 ** 9, False)])
def test_gradient_after_10_layers(value, ok):
    if ok:
        checks.check_gradient_after_10_layers(value, hidden=True)
    else:
        with pytest.raises(GradingError):
            checks.check_gradient_after_10_layers(value, hidden=True)


@pytest.mark.parametrize("value, words", [(9.5e-7, "only 2 significant figures"), (1e-6, "only 1 significant"),
                                          (9.6e-7, "is not the largest factor"), (2.5, "multiply")])
def test_gradient_after_10_layers_messages_are_true(value, words):
    """Rounding is named only when the answer is the right value rounded (issue 10)."""
    with pytest.raises(GradingError, match=words):
        checks.check_gradient_after_10_layers(value, hidden=True)


def _without(student: dict, name: str) -> dict:
    return {key: value for key, value in student.items() if key != name}


def _result(outcome) -> Result:
    """The cell's structured result, as the grader published it."""
    (data,) = [o.data[RESULT_MIME] for o in outcome.outputs if o.output_type == "display_data" and RESULT_MIME in o.data]
    return Result.from_json(data)


def _grade_outcomes(student: dict) -> dict:
    """Every graded test cell's outcome (tests/support/notebook_grader.py) for ``student``."""
    return grade(corpus.NOTEBOOK, student)


@pytest.mark.parametrize("history, words", [
    (["import numpy as np", "gradient_after_10_layers = 0.25 ** 10 * undefined_name"], "stopped with an error"),
    (["import numpy as np"], "replace `raise NotImplementedError()`"),
])
def test_gradient_after_10_layers_never_defined_is_not_answered(history, words):
    """The check takes the student's number; a notebook that never defines it is graded
    "not answered" with the reason (read from the input history), not a crash."""
    student = {**_without(corpus.student(), "gradient_after_10_layers"), "In": history}
    outcomes = _grade_outcomes(student)
    lost = {k for k, outcome in outcomes.items() if not outcome.passed}
    assert lost == {"test_gradient_after_10_layers"}
    outcome = outcomes["test_gradient_after_10_layers"]
    assert _result(outcome).outcome is Outcome.NOT_ANSWERED
    assert words in outcome.message and "Traceback" not in outcome.message


def test_a_notebook_without_deep_backward_loses_only_its_tests():
    """Error carried forward takes the student's own functions as arguments: one the
    notebook never defines is "not answered" in its own tests, and the analysis (which
    does not need it here) is judged against TensorFlow alone."""
    outcomes = _grade_outcomes(_without(corpus.student(), "deep_backward"))
    lost = {k for k, outcome in outcomes.items() if not outcome.passed}
    assert lost == BACKWARD_TESTS
    for test in BACKWARD_TESTS:
        assert _result(outcomes[test]).outcome is Outcome.NOT_ANSWERED, outcomes[test].message
        assert "deep_backward is not defined" in outcomes[test].message


# ------------------------------------------------------------------------------ plots
def test_plot_helper_accepts_student_arrays_and_zeros(capsys):
    from course.widgets.gradient_flow import gradient_flow_figure, plot_gradient_flow

    figure = gradient_flow_figure([1e-3, 0.0, 0.1, float("nan"), 1.0], np.float32([0.3, 0.4, 0.5, 0.6, 0.4]))
    ax = figure.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 10 and all(h > 0 and math.isfinite(h) for h in heights)
    bound = ax.lines[0].get_ydata()
    assert bound[-1] == pytest.approx(1.0) and bound[0] == pytest.approx(0.25 ** 4)
    figure.canvas.draw()
    plot_gradient_flow([0.1, 0.2], [0.3, 0.3])
    with pytest.raises(GradingError):
        gradient_flow_figure(None, [1.0])


def test_patched_numpy_does_not_make_a_wrong_answer_pass(monkeypatch):
    """Student code runs in the grading kernel: rebinding numpy helpers must not help."""
    wrong = corpus.MUTANTS["norms_reversed_only"]["analyze_gradient_flow"]
    monkeypatch.setattr(np, "max", lambda *a, **k: 1e300)
    monkeypatch.setattr(np, "abs", lambda a, *r, **k: a * 0 + 1e300)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np.random, "default_rng", lambda *a, **k: np.random.Generator(np.random.PCG64(1)))
    with pytest.raises(GradingError):
        checks.check_analyze_gradient_flow(wrong, hidden=True)
