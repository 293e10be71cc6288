"""The explorers' pictures (SVG in an ipywidgets.HTML): drawn at every slider extreme,
updated in place, truthful labels, nothing of notebook 1's answers at opening, and
silent under nbgrader.  What a browser makes of them is tested in tests/browser/."""

from __future__ import annotations

from support.verification_corpus import tape_like_reference  # noqa: E402

import itertools
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from support import gradient_flow_corpus as corpus
from course.exercise.networks import DEMO_X, DEMO_Y
from course.oracles import deep as oracle
from support.exercise_answers import EXERCISE, notebook_1_answers, revealed

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def svg_text(svg: str) -> str:
    """Every text the picture shows (and its tooltips), one per line."""
    return "\n".join("".join(t.itertext()) for t in ET.fromstring(svg).iter() if t.tag in (SVG + "text", SVG + "title"))


def by_class(svg: str, name: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter() if name in (e.get("class") or "").split()]


def test_the_scan_for_answers_can_fail():
    answers = notebook_1_answers(**EXERCISE)
    assert revealed("loss 0.4789 and dL/dW1 -0.02612", answers) == {"loss": "0.4789", "dL_dW1": "-0.02612"}
    assert revealed("a1 = 0.6457, x = +0.5, seed 0, 0.25ᵏ, 1.40", answers) == {"a1": "0.6457"}


# ------------------------------------------------------------------ notebook 3 / classroom bars
def test_gradient_flow_explorer_draws_at_every_extreme():
    from course.widgets import gradient_flow as gf

    explorer = gf.GradientFlowExplorer(oracle.reference_analyze)
    extremes = itertools.product((gf.MIN_DEPTH, gf.MAX_DEPTH), gf.ACTIVATIONS, gf.SCALE_RANGE, gf.SEED_RANGE)
    for depth, activation, scale, seed in extremes:
        status = explorer.update(depth, activation, scale, seed)
        assert status == "" or "floor" in status, status
        bars = by_class(explorer.svg, "bar")
        assert len(bars) == depth
        assert all(math.isfinite(float(bar.get("height"))) and float(bar.get("height")) >= 1 for bar in bars)
        assert bool(by_class(explorer.svg, "bound")) == (activation == "sigmoid" and explorer.last_norms[-1] > 0)
        assert "nan" not in explorer.svg and "inf" not in explorer.svg
    # the tallest bar is the largest norm (the log axis keeps the order)
    explorer.update(6, "sigmoid", 1.0, 3)
    heights = [float(bar.get("height")) for bar in by_class(explorer.svg, "bar")]
    assert np.argmax(heights) == np.argmax(explorer.last_norms)
    assert np.argsort(heights).tolist() == np.argsort(explorer.last_norms).tolist()


def test_gradient_flow_explorer_shows_the_students_numbers_and_failures():
    from course.widgets import gradient_flow as gf

    student = gf.GradientFlowExplorer(corpus.CORRECT["float32_list_return"]["analyze_gradient_flow"])
    student.update(7, "tanh", 2.0, 3)
    expected = oracle.reference_analyze(DEMO_X, DEMO_Y, gf.explorer_layer_sizes(7), "tanh", 3, scale=2.0)
    assert student.last_norms == pytest.approx(expected, rel=1e-3)
    tooltips = [bar.find(SVG + "title").text for bar in by_class(student.svg, "bar")]
    assert tooltips[0] == f"layer 1: ‖∂L/∂W‖_F = {expected[0]:.3g}"
    broken = gf.GradientFlowExplorer(corpus.MUTANTS["not_implemented"]["analyze_gradient_flow"])
    status = broken.update(4, "relu", 1.0, 0)
    assert "NotImplementedError" in status and not status.endswith(":"), status  # issue 10: no dangling colon
    assert by_class(broken.svg, "bar") == [] and "no gradients to show" in svg_text(broken.svg)
    zeros = gf.GradientFlowExplorer(lambda x, y, sizes, activation="sigmoid", seed=0: [0.0] * (len(sizes) - 1))
    assert "floor" in zeros.update(10, "sigmoid", 1.0, 0)
    assert len(by_class(zeros.svg, "bar")) == 10 and by_class(zeros.svg, "floor")


def test_the_dashed_line_is_labelled_for_what_it_is():
    """At depth 10, init scale 1 most sigmoid bars lie above last-layer × 0.25^k: the line
    is not a bound, and the legends of both plots say it is the σ' factor alone."""
    from course.widgets import gradient_flow as gf

    explorer = gf.GradientFlowExplorer(oracle.reference_analyze)
    explorer.update(10, "sigmoid", 1.0, 0)
    norms = explorer.last_norms
    shrink_only = norms[-1] * 0.25 ** np.arange(9, -1, -1)
    assert (norms[:-1] > shrink_only[:-1]).sum() >= 5  # the situation of the finding
    text = " ".join(svg_text(explorer.svg).split())
    assert "σ′ ≤ 0.25 factor alone (weights ignored)" in text and "bound" not in text
    figure = gf.gradient_flow_figure(norms, norms)
    legend = " ".join(t.get_text() for t in figure.axes[0].get_legend().get_texts())
    assert "weights ignored" in legend and "bound" not in legend


def test_gradient_flow_widget_updates_in_place_and_is_silent_under_nbgrader(monkeypatch):
    from course.widgets import gradient_flow as gf

    box = gf.gradient_flow_explorer(oracle.reference_analyze, font_scale=1.6)
    first = box.view.value
    assert ET.fromstring(first).get("viewBox") == "0 0 1440 595.2"  # font_scale applied
    box.controls["depth"].value = 3
    box.controls["activation"].value = "relu"
    assert box.explorer.last_norms.size == 3 and len(by_class(box.view.value, "bar")) == 3
    assert box.view.value != first
    with pytest.raises(TypeError, match="reference_analyze"):
        gf.GradientFlowExplorer()   # no oracle of its own in a student's kernel
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert gf.gradient_flow_explorer() is None


# ------------------------------------------------------------------ notebook 1's sigmoid explorer
def test_sigmoid_explorer_moves_its_markers():
    from course.widgets.sigmoid import Z_LIMIT, sigmoid_explorer

    explorer = sigmoid_explorer()
    positions = {}
    for z in (-Z_LIMIT, -2.0, 0.0, 0.6, Z_LIMIT):
        explorer.slider.value = z
        s = 1 / (1 + math.exp(-z))
        assert f"σ(z) = {s:.4f}" in explorer.readout.value
        (circle,) = by_class(explorer.view.value, "value-marker")
        (square,) = by_class(explorer.view.value, "slope-marker")
        positions[z] = (float(circle.get("cx")), float(circle.get("cy")), float(square.get("y")))
    xs = [positions[z][0] for z in sorted(positions)]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # the markers follow the slider
    # SVG y grows downwards: σ rises with z; σ' is highest (smallest y) at z = 0 and symmetric
    assert positions[-Z_LIMIT][1] > positions[0.0][1] > positions[Z_LIMIT][1]
    assert positions[0.0][2] < positions[0.6][2] < positions[-2.0][2]
    assert positions[-Z_LIMIT][2] == pytest.approx(positions[Z_LIMIT][2], abs=0.2)


def test_sigmoid_explorer_opens_away_from_the_answers(monkeypatch):
    from course.widgets.sigmoid import sigmoid_explorer

    explorer = sigmoid_explorer()
    shown = explorer.readout.value + svg_text(explorer.view.value)
    assert revealed(shown, notebook_1_answers(**EXERCISE)) == {}
    assert "0.25" not in shown  # reflection question 1 asks for the maximum of σ'
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert sigmoid_explorer() is None


# ------------------------------------------------------------------ notebook 2 / classroom graph
def test_verification_explorers_open_away_from_the_worked_example():
    from course.widgets.verification import VerificationExplorer, verification_explorer

    answers = notebook_1_answers(**EXERCISE)
    for explorer in (VerificationExplorer(reference=tape_like_reference), VerificationExplorer(*_reference_functions(), reference=tape_like_reference)):
        assert revealed(svg_text(explorer.svg), answers) == {}
    box = verification_explorer(*_reference_functions(), reference=tape_like_reference)
    assert {name: slider.value for name, slider in box.sliders.items()} != EXERCISE


def test_reference_only_graph_shows_the_chain_rule_without_a_yours_column():
    from course.widgets.verification import VerificationExplorer

    from course.oracles.two_layer import central_difference

    # The classroom page passes the instructor's full reference (demos/backprop_explorer.ipynb).
    explorer = VerificationExplorer(font_scale=1.6, reference=central_difference)
    student_side = VerificationExplorer(font_scale=1.6, reference=tape_like_reference)   # a student's kernel: no inner gradients
    for params in ((-2.0, 0.0, 3.0, -1.0, -4.0, 2.5), (3.0, 1.0, -5.0, 5.0, 5.0, -5.0)):
        values = dict(zip(("x", "y", "W1", "b1", "W2", "b2"), params))
        explorer.update(**values)
        text = svg_text(explorer.svg)
        assert "yours" not in text and "✓" not in text and "✗" not in text
        expected = notebook_1_answers(**values)
        nodes = {g.get("data-node"): [t for t in g.itertext() if t.strip()]
                 for g in ET.fromstring(explorer.svg).iter(SVG + "g") if g.get("data-node")}
        for node, key in (("z1", "z1"), ("a1", "a1"), ("y_pred", "y_pred"), ("L", "loss")):
            assert float(nodes[node][nodes[node].index("value") + 1]) == pytest.approx(expected[key], rel=1e-3)
        for node, key in (("W1", "dL_dW1"), ("b2", "dL_db2"), ("a1", "dL_da1"), ("z1", "dL_dz1")):
            assert float(nodes[node][nodes[node].index("∂L") + 1]) == pytest.approx(expected[key], rel=1e-3, abs=1e-12)
        student_side.update(**values)
        nodes = {g.get("data-node"): [t for t in g.itertext() if t.strip()]
                 for g in ET.fromstring(student_side.svg).iter(SVG + "g") if g.get("data-node")}
        for node, key in (("W1", "dL_dW1"), ("b2", "dL_db2")):
            assert float(nodes[node][nodes[node].index("∂L") + 1]) == pytest.approx(expected[key], rel=1e-3, abs=1e-12)
        for node in ("a1", "z1", "z2", "y_pred"):
            assert nodes[node][nodes[node].index("∂L") + 1] == "—"


def _reference_functions():
    """Correct student functions (notebook 2's contract), written out here."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731

    def forward_pass(x, W1, b1, W2, b2):
        z1 = W1 * x + b1
        a1 = sigmoid(z1)
        z2 = W2 * a1 + b2
        return z1, a1, z2, sigmoid(z2)

    def bce(y, p):
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
        dz2 = y_pred - y
        dz1 = dz2 * W2 * a1 * (1 - a1)
        return {"dy_pred": -y / y_pred + (1 - y) / (1 - y_pred), "dz2": dz2, "dW2": dz2 * a1, "db2": dz2,
                "da1": dz2 * W2, "dz1": dz1, "dW1": dz1 * x, "db1": dz1}

    return sigmoid, forward_pass, bce, backward_pass
