"""Notebook 2's grader corpus, in-process: correct variants earn every point, each mutant
loses exactly the test that targets its mistake.  Also: oracles agree with each other and
with hand math, feedback is short and names the misconception, the explorer draws at
every slider extreme (as valid SVG) and marks exactly the nodes that differ.

The test cells are executed from the source notebook (see tests/support/verification_corpus.py).
TensorFlow is imported once, by the notebook's setup cell.
"""

from __future__ import annotations

from support.verification_corpus import tape_like_reference  # noqa: E402

import itertools
import math
import textwrap

import numpy as np
import pytest

from course.checks import verification
from course.kernel.messages import GradingError
from course.oracles import two_layer
from support.notebook_grader import grade, max_points
from support.verification_corpus import NOTEBOOK, has_hidden_source, mutate, reference_source

GRADIENT_TESTS = {f"test_backward_{k}" for k in ("dy_pred", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")}


# --- correct variants ------------------------------------------------------------------

SIMPLIFIED_EXTRA_KEYS = mutate(
    ("dz2 = dy_pred * y_pred * (1 - y_pred)", "dz2 = y_pred - y"),
    ('"dW1": dW1, "db1": db1}', '"dW1": dW1, "db1": db1, "loss_note": "extra", "dx": dz1 * W1}'),
)

FLOAT32 = textwrap.dedent('''
    import numpy as np
    f32 = np.float32

    def sigmoid(z):
        z = np.asarray(z, dtype=np.float32)
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, f32(1) / (f32(1) + e), e / (f32(1) + e))

    def forward_pass(x, W1, b1, W2, b2):
        z1 = f32(W1) * f32(x) + f32(b1)
        a1 = sigmoid(z1)
        z2 = f32(W2) * a1 + f32(b2)
        return z1, a1, z2, sigmoid(z2)

    def binary_cross_entropy(y_true, y_pred):
        eps = f32(1e-7)
        p = np.clip(f32(y_pred), eps, f32(1) - eps)
        return -(f32(y_true) * np.log(p) + (f32(1) - f32(y_true)) * np.log(f32(1) - p))

    def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
        x, y, a1, y_pred, W2 = (f32(v) for v in (x, y, a1, y_pred, W2))
        one = f32(1)
        dy_pred = -y / y_pred + (one - y) / (one - y_pred)
        dz2 = dy_pred * y_pred * (one - y_pred)
        da1 = dz2 * W2
        dz1 = da1 * a1 * (one - a1)
        return dict(dy_pred=dy_pred, dz2=dz2, dW2=dz2 * a1, db2=dz2, da1=da1, dz1=dz1,
                    dW1=dz1 * x, db1=dz1)
''')

MATRIX_1x1 = textwrap.dedent('''
    import numpy as np

    def sigmoid(z):
        return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))

    def forward_pass(x, W1, b1, W2, b2):
        X = np.array([[x]]); W1, b1, W2, b2 = (np.array([[v]]) for v in (W1, b1, W2, b2))
        z1 = X @ W1 + b1
        a1 = sigmoid(z1)
        z2 = a1 @ W2 + b2
        return z1, a1, z2, sigmoid(z2)

    def binary_cross_entropy(y_true, y_pred):
        p = np.clip(np.array([[y_pred]], dtype=float).reshape(1, 1), 1e-12, 1 - 1e-12)
        return np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)), keepdims=True)

    def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
        X, A1, P = (np.array(v, dtype=float).reshape(1, 1) for v in (x, a1, y_pred))
        W2m = np.array(W2, dtype=float).reshape(1, 1)
        grads = {"dy_pred": -y / P + (1 - y) / (1 - P)}
        grads["dz2"] = grads["dy_pred"] * P * (1 - P)
        grads["dW2"] = A1.T @ grads["dz2"]
        grads["db2"] = grads["dz2"].sum(axis=0, keepdims=True)
        grads["da1"] = grads["dz2"] @ W2m.T
        grads["dz1"] = grads["da1"] * A1 * (1 - A1)
        grads["dW1"] = X.T @ grads["dz1"]
        grads["db1"] = grads["dz1"].sum(axis=0, keepdims=True)
        return grads
''')

PYTHON_MATH = textwrap.dedent('''
    import math
    import numpy as np

    def sigmoid(z):
        if np.ndim(z) == 0:
            z = float(z)
            return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        return 0.5 * (1 + np.tanh(np.asarray(z) / 2))

    def forward_pass(x, W1, b1, W2, b2):
        z1 = W1 * x + b1
        a1 = sigmoid(z1)
        z2 = W2 * a1 + b2
        return (z1, a1, z2, sigmoid(z2))

    def binary_cross_entropy(y_true, y_pred):
        eps = 1e-7
        return -(y_true * math.log(y_pred + eps) + (1 - y_true) * math.log(1 - y_pred + eps))

    def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
        # Recomputes the forward values itself and keeps an epsilon in dL/dy_pred.
        a1 = sigmoid(W1 * x + b1)
        y_pred = sigmoid(W2 * a1 + b2)
        eps = 1e-7
        dy_pred = -y / (y_pred + eps) + (1 - y) / (1 - y_pred + eps)
        dz2 = dy_pred * y_pred * (1 - y_pred)
        grads = {"dy_pred": np.float64(dy_pred), "dz2": np.array(dz2), "dW2": dz2 * a1, "db2": dz2}
        grads["da1"] = dz2 * W2
        grads["dz1"] = grads["da1"] * a1 * (1 - a1)
        grads["dW1"] = [grads["dz1"] * x]
        grads["db1"] = grads["dz1"]
        return grads
''')

CORRECT = {
    "reference": reference_source(),
    "simplified dz2 + extra keys": SIMPLIFIED_EXTRA_KEYS,
    "float32 throughout": FLOAT32,
    "(1,1) matrices, logaddexp sigmoid": MATRIX_1x1,
    "python math, eps in backward, recomputed forward": PYTHON_MATH,
    # scipy is installed for students (issue 10): its expit is a common sigmoid.
    "scipy.special.expit sigmoid": "from scipy.special import expit\n" + mutate(
        ("    z = np.clip(z, -500.0, 500.0)\n    return 1.0 / (1.0 + np.exp(-z))", "    return expit(z)")),
}

# --- mutants: name -> (source, the graded tests it must lose) -------------------------

TF_BACKWARD = mutate((
    "    dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)",
    "    tape_grads = _tf_grads(x, y, W1, b1, W2, b2)\n"
    "    dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)",
)).replace("    dW1 = dz1 * x\n", "    dW1 = tape_grads[0]\n") + textwrap.dedent('''

    def _tf_grads(x, y, W1, b1, W2, b2):
        v = [tf.Variable(float(t), dtype=tf.float64) for t in (W1, b1, W2, b2)]
        with tf.GradientTape() as tape:
            p = tf.sigmoid(v[2] * tf.sigmoid(v[0] * x + v[1]) + v[3])
            loss = -(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
        return [g.numpy() for g in tape.gradient(loss, v)]
''')

TF_BACKWARD_DISGUISED = mutate((
    "    dW1 = dz1 * x\n",
    "    tape_cls = getattr(tf, 'Gradient' + 'Tape')\n"
    "    w = tf.Variable(float(W1), dtype=tf.float64)\n"
    "    with tape_cls() as t:\n"
    "        p = tf.sigmoid(W2 * tf.sigmoid(w * x + b1) + b2)\n"
    "        loss = -(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))\n"
    "    dW1 = t.gradient(loss, w).numpy()\n"
    ))
# `t.gradient` is an attribute name the static check does not forbid; `getattr(...)`
# hides GradientTape: only the run-time tripwire catches this one.
TF_BACKWARD_DISGUISED = TF_BACKWARD_DISGUISED.replace("t.gradient(loss, w)", "getattr(t, 'grad' + 'ient')(loss, w)")

HARD_CODED = reference_source() + textwrap.dedent('''

    def forward_pass(x, W1, b1, W2, b2):
        return 0.6, 0.6457, 0.4874, 0.6195

    def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
        return {"dy_pred": -1.6142, "dz2": -0.3805, "dW2": -0.2457, "db2": -0.3805,
                "da1": -0.2283, "dz1": -0.05223, "dW1": -0.02612, "db1": -0.05223}
''')

TAMPERING = mutate(("    return {\"dy_pred\": dy_pred,", "    return {k: 0.0 for k in ('dy_pred', 'dz2', 'dW2', 'db2', 'da1', 'dz1', 'dW1', 'db1')}\n    return {\"dy_pred\": dy_pred,")) + textwrap.dedent('''

    class _AlwaysEqual(float):
        def __eq__(self, other):
            return True

    class _FakeTape:
        def __init__(self, *a, **k): pass
        def __enter__(self): return self
        def __exit__(self, *a): return False
        def watch(self, *a): pass
        def gradient(self, target, sources): return [tf.zeros_like(s) for s in sources]

    np.allclose = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    tf.GradientTape = _FakeTape
''')

MUTANTS = {
    "unsafe sigmoid (overflow at -1000)": (
        mutate(("    z = np.clip(z, -500.0, 500.0)\n", "")), {"test_sigmoid_extremes"}),
    "forward: z1 used for a1": (mutate(("a1 = sigmoid(z1)", "a1 = z1")), {"test_forward_pass"}),
    "BCE without epsilon": (
        mutate(("    y_pred = np.clip(y_pred, eps, 1.0 - eps)\n", "")), {"test_bce_edges"}),
    "BCE sign error": (
        mutate(("return -(y_true * np.log(y_pred)", "return (y_true * np.log(y_pred)")), {"test_bce_values"}),
    "dy_pred sign error": (
        mutate(("dy_pred = -y / y_pred + (1 - y) / (1 - y_pred)", "dy_pred = y / y_pred - (1 - y) / (1 - y_pred)")),
        {"test_backward_dy_pred"}),
    "missing sigmoid derivative, layer 2": (
        mutate(("dz2 = dy_pred * y_pred * (1 - y_pred)", "dz2 = dy_pred")), {"test_backward_dz2"}),
    "dz2 sign error (y - y_pred)": (
        mutate(("dz2 = dy_pred * y_pred * (1 - y_pred)", "dz2 = y - y_pred")), {"test_backward_dz2"}),
    "z1 used for a1 in dW2": (mutate(("dW2 = dz2 * a1", "dW2 = dz2 * z1")), {"test_backward_dW2"}),
    "db2 times a1": (mutate(("db2 = dz2", "db2 = dz2 * a1")), {"test_backward_db2"}),
    "wrong weight W1 in da1": (mutate(("da1 = dz2 * W2", "da1 = dz2 * W1")), {"test_backward_da1"}),
    "missing sigmoid derivative, layer 1": (
        mutate(("dz1 = da1 * a1 * (1 - a1)", "dz1 = da1")), {"test_backward_dz1"}),
    "z1 used for a1 in dz1": (
        mutate(("dz1 = da1 * a1 * (1 - a1)", "dz1 = da1 * z1 * (1 - z1)")), {"test_backward_dz1"}),
    "missing x in dW1": (mutate(("dW1 = dz1 * x", "dW1 = dz1")), {"test_backward_dW1"}),
    "db1 times x": (mutate(("db1 = dz1", "db1 = dz1 * x")), {"test_backward_db1"}),
    "TensorFlow GradientTape inside backward_pass": (TF_BACKWARD, GRADIENT_TESTS),
    "GradientTape disguised (run-time tripwire only)": (TF_BACKWARD_DISGUISED, GRADIENT_TESTS),
    "hard-coded worked-example values": (HARD_CODED, GRADIENT_TESTS | {"test_forward_pass"}),
    "tampering: fake GradientTape, np.allclose patched, zero gradients": (TAMPERING, GRADIENT_TESTS),
}

# Words the feedback of each targeted test must contain (names the misconception).
FEEDBACK_WORDS = {
    "unsafe sigmoid (overflow at -1000)": "overflow",
    "forward: z1 used for a1": "a1 = sigmoid(z1)",
    "BCE without epsilon": "epsilon",
    "BCE sign error": "wrong sign",
    "dy_pred sign error": "sign error",
    "missing sigmoid derivative, layer 2": "sigmoid derivative at layer 2",
    "dz2 sign error (y - y_pred)": "sign error",
    "z1 used for a1 in dW2": "z1 was used instead of a1",
    "db2 times a1": "no factor a1",
    "wrong weight W1 in da1": "wrong weight",
    "missing sigmoid derivative, layer 1": "sigmoid derivative at layer 1",
    "z1 used for a1 in dz1": "z1 was used",
    "missing x in dW1": "factor x is missing",
    "db1 times x": "no factor x",
    "TensorFlow GradientTape inside backward_pass": "chain rule",
    "GradientTape disguised (run-time tripwire only)": "chain rule",
    "hard-coded worked-example values": "",
    "tampering: fake GradientTape, np.allclose patched, zero gradients": "GradientTape",
}

@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_variant_earns_every_point(name):
    grades = grade(NOTEBOOK, CORRECT[name])
    assert grades.points == grades.max == max_points(NOTEBOOK), grades.messages()


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_loses_exactly_its_target(name):
    source, targets = MUTANTS[name]
    grades = grade(NOTEBOOK, source, fresh_oracle=name.startswith("tampering"))
    assert grades.lost == targets, grades.messages(grades.lost ^ targets)
    assert grades.points == grades.max - sum(grades[g].max for g in targets)  # no partial credit
    for grade_id in targets:
        message = grades[grade_id].message
        assert FEEDBACK_WORDS[name] in message, message
        assert "Traceback" not in message and not has_hidden_source(message)
        assert len(message.splitlines()) <= 6, message


def test_hidden_feedback_shows_expected_and_got_for_one_input():
    namespace: dict = {"np": np}
    exec(MUTANTS["missing x in dW1"][0], namespace)
    with pytest.raises(GradingError) as failure:
        verification.check_gradient(namespace["backward_pass"], "dW1", hidden=True, seed=2401)
    message = str(failure.value)
    assert "expected" in message and "got" in message and "x=" in message
    assert "Likely cause: the factor x is missing" in message


def test_visible_backward_check_catches_a_wrong_gradient_without_revealing_it():
    """Validate judges the value at a check point away from notebook 1's values (the
    student-side check holds the tape's values there, not notebook 1's answers) and
    never prints the tape's number."""
    message = grade(NOTEBOOK, MUTANTS["missing x in dW1"][0])["test_backward_dW1"].message
    assert "check point x=1.5, y=0, W1=-0.7, b1=0.3, W2=1.1, b2=-0.4" in message
    assert "Likely cause: the factor x is missing" in message
    assert "0.1755" not in message and "0.176" not in message  # dL/dW1 = 0.17555 there
    assert "-0.026" not in message  # dL/dW1 = -0.0261 at the worked example of notebook 1


def test_visible_backward_check_carries_an_error_forward():
    """A dW1 consistent with the student's own wrong dz1 passes the visible part, as it
    passes the hidden one, so Validate does not fail a cell the grade gives credit for."""
    namespace: dict = {"np": np}
    exec(MUTANTS["missing sigmoid derivative, layer 1"][0], namespace)
    verification.check_gradient(namespace["backward_pass"], "dW1")
    with pytest.raises(GradingError):
        verification.check_gradient(namespace["backward_pass"], "dz1")


# --- oracles ------------------------------------------------------------------------------

def _hand(x, y, W1, b1, W2, b2):
    """Gradients by hand with math.exp (independent of course/)."""
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    z1 = W1 * x + b1; a1 = s(z1); z2 = W2 * a1 + b2; p = s(z2)  # noqa: E702
    dz2 = p - y
    return {"dz2": dz2, "dW2": dz2 * a1, "da1": dz2 * W2, "dz1": dz2 * W2 * a1 * (1 - a1),
            "dW1": dz2 * W2 * a1 * (1 - a1) * x, "y_pred": p,
            "loss": -(y * math.log(p) + (1 - y) * math.log(1 - p))}


def test_oracles_agree_with_hand_math_and_each_other():
    from course.checks.verification import parameter_sets
    from course.oracles import two_layer

    params = parameter_sets(7)
    tape = two_layer.tf_reference(**params)
    central = two_layer.central_difference(**params)
    for i in range(len(params["x"])):
        hand = _hand(*(float(params[k][i]) for k in ("x", "y", "W1", "b1", "W2", "b2")))
        for key, value in hand.items():
            assert math.isclose(tape[key][i], value, rel_tol=1e-9, abs_tol=1e-15), (key, i)
    for key in two_layer.GRADIENT_KEYS:
        np.testing.assert_allclose(central[key], tape[key], rtol=1e-6, atol=1e-9)
    ex = two_layer.tf_reference(0.5, 1.0, 0.8, 0.2, 0.6, 0.1)
    assert math.isclose(ex["dW1"][0], _hand(0.5, 1.0, 0.8, 0.2, 0.6, 0.1)["dW1"], rel_tol=1e-12)
    assert ex["dW1"].shape == (1,)


def test_parameter_sets_cover_the_saturated_regime():
    from course.checks.verification import parameter_sets
    from course.oracles import two_layer

    params = parameter_sets(2401)
    fwd = two_layer.forward_reference(**{k: params[k] for k in ("x", "W1", "b1", "W2", "b2")})
    assert len(params["x"]) >= 50
    assert np.abs(fwd["z1"]).max() > 12 and np.abs(fwd["z2"]).max() > 12
    assert (np.abs(fwd["z1"]) > 6).sum() >= 10


# --- explorer ----------------------------------------------------------------------------

def _functions(source: str):
    namespace: dict = {"__name__": "__main__", "np": np}
    exec(compile(source, "<student>", "exec"), namespace)
    return [namespace[n] for n in ("sigmoid", "forward_pass", "binary_cross_entropy", "backward_pass")]


_SVG = "{http://www.w3.org/2000/svg}"


def _svg_nodes(svg: str) -> dict[str, dict]:
    """Parse the explorer's SVG (must be valid XML) into {node: {state, head, stroke, fill, texts}}."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    assert root.tag == _SVG + "svg"
    nodes = {}
    for group in root.iter(_SVG + "g"):
        if group.get("data-node") is None:
            continue
        rect = group.find(_SVG + "rect")
        texts = ["".join(t.itertext()) for t in group.iter(_SVG + "text")]
        nodes[group.get("data-node")] = {
            "state": group.get("data-state"), "head": texts[0], "texts": texts,
            "stroke": rect.get("stroke"), "fill": rect.get("fill"),
            "title": group.find(_SVG + "title").text,
        }
    return nodes


def _status(svg: str) -> str:
    import xml.etree.ElementTree as ET

    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).findall(_SVG + "text")]
    return " ".join(texts[1:3]).strip()  # the two status lines under the title


def test_explorer_draws_at_every_slider_extreme():
    import xml.etree.ElementTree as ET

    from course.widgets.verification import SLIDER_RANGES, VerificationExplorer

    explorer = VerificationExplorer(*_functions(reference_source()), font_scale=1.6, reference=tape_like_reference)
    names = ("x", "y", "W1", "b1", "W2", "b2")
    heights = set()
    for corner in itertools.product(*(SLIDER_RANGES[n] for n in names)):
        result = explorer.update(**dict(zip(names, corner)))
        assert result == {"mismatches": [], "missing": [], "message": ""}, (corner, result)
        nodes = _svg_nodes(explorer.svg)
        assert len(nodes) == 11, sorted(nodes)
        assert {n for n, v in nodes.items() if v["state"] == "input"} == {"x", "y"}
        assert all(v["state"] == "ok" and v["head"].startswith("✓") for n, v in nodes.items() if n not in "xy")
        assert not any("✗" in t for v in nodes.values() for t in v["texts"]) and "nan" not in explorer.svg
        assert _status(explorer.svg) == ""
        root = ET.fromstring(explorer.svg)
        heights.add((root.get("viewBox"), root.get("height")))
    # the values shown are the ones set: the last corner has x = 3, b2 = 5
    assert nodes["x"]["texts"][1:3] == ["value", "3"] and nodes["b2"]["texts"][2] == "5"
    # scales with the page, fixed height (the page does not jump), font_scale applied
    assert root.get("width") == "100%" and heights == {("0 0 1548.8 640", "640")}
    assert 'font-size="20.8"' in explorer.svg  # 13 * 1.6: the box headers
    assert root.find(_SVG + "title").text and root.get("aria-label")


def test_explorer_marks_the_wrong_node_and_survives_exceptions():
    from course.widgets._env import PALETTE
    from course.widgets.verification import VerificationExplorer

    # dW1 wrong (x missing): W1 alone is marked.
    explorer = VerificationExplorer(*_functions(MUTANTS["missing x in dW1"][0]), reference=tape_like_reference)
    result = explorer.update(x=1.7)
    assert result["mismatches"] == ["W1"]
    nodes = _svg_nodes(explorer.svg)
    assert nodes["W1"]["state"] == "bad" and nodes["W1"]["head"].startswith("✗")
    assert nodes["W1"]["stroke"] == PALETTE["vermillion"] and nodes["z1"]["stroke"] == PALETTE["blue"]
    assert nodes["W1"]["fill"] != nodes["z1"]["fill"]
    assert [n for n, v in nodes.items() if "✗" in v["head"]] == ["W1"]

    # Only dz1 in the returned dict is wrong: the inner nodes have no reference in a student's
    # kernel (no answer key for dL/dz1 and friends), so nothing is marked; dW1, db1 are right.
    only_dz1 = mutate(('"dz1": dz1,', '"dz1": 2 * dz1,'))
    explorer = VerificationExplorer(*_functions(only_dz1), reference=tape_like_reference)
    assert explorer.update(b1=-1.0)["mismatches"] == []
    nodes = _svg_nodes(explorer.svg)
    assert not any(v["state"] == "bad" for v in nodes.values())
    assert "reference —" in nodes["z1"]["title"]

    # The real misconception (no sigmoid derivative in dz1) shows in dW1 and db1 downstream.
    explorer = VerificationExplorer(*_functions(MUTANTS["missing sigmoid derivative, layer 1"][0]), reference=tape_like_reference)
    assert sorted(explorer.update()["mismatches"]) == ["W1", "b1"]
    nodes = _svg_nodes(explorer.svg)
    assert {n for n, v in nodes.items() if v["head"].startswith("✗")} == {"W1", "b1"}
    assert nodes["a1"]["state"] == nodes["W2"]["state"] == "ok"

    # A raising backward_pass: status line shows the error, gradient boxes grey, no ✗.
    broken = _functions(reference_source())
    broken[3] = lambda *args: 1 / 0
    explorer = VerificationExplorer(*broken, reference=tape_like_reference)
    result = explorer.update(W2=-5.0)
    assert "ZeroDivisionError" in result["message"] and "ZeroDivisionError" in _status(explorer.svg)
    nodes = _svg_nodes(explorer.svg)
    assert result["mismatches"] == [] and not any("✗" in v["head"] for v in nodes.values())
    assert nodes["z1"]["state"] == "missing" and nodes["z1"]["head"].startswith("?")
    assert nodes["L"]["state"] == "ok"  # the loss itself was computed

    # Error text with markup and control characters stays valid XML, shown escaped.
    def nasty_forward(*args):
        raise ValueError('<b>&"bad"</b>\x00\x1b[31m' + "x" * 300)

    broken[1] = nasty_forward
    explorer = VerificationExplorer(*broken, reference=tape_like_reference)
    status = _status(explorer.svg)
    assert "<b>&\"bad\"</b>" in status and "ValueError" in status
    assert len(status) <= 151 and "\x00" not in explorer.svg
    assert set(explorer.update(x=-3.0)["missing"]) == {"W1", "b1", "W2", "b2", "z1", "a1", "z2", "y_pred", "L"}


@pytest.mark.parametrize("values", [dict(x=0.5, y=1.0, W1=0.8, b1=0.2, W2=0.6, b2=0.1),
                                    dict(x=-2.1, y=0.0, W1=3.3, b1=-1.2, W2=-4.4, b2=2.5)])
def test_explorer_and_table_give_no_inner_gradient(values, capsys):
    """Only what verify_with_tensorflow shows has a reference: the forward values, the loss
    and dL/dW1, dL/db1, dL/dW2, dL/db2.  dL/dy_pred and dL/da1 appear nowhere unless the
    student's own code computed them (dL/dz2 = dL/db2 and dL/dz1 = dL/db1 are shown as
    the bias gradients, as verify_with_tensorflow shows them)."""
    from course.widgets.verification import VerificationExplorer, gradient_table

    inner = {k: float(v[0]) for k, v in two_layer.central_difference(**values).items()
             if k in ("dy_pred", "da1")}
    parameters = {k: float(v[0]) for k, v in two_layer.central_difference(**values).items()
                  if k in ("dW1", "db1", "dW2", "db2")}
    broken = _functions(reference_source())
    broken[3] = lambda *args: {}
    for explorer in (VerificationExplorer(values=values, reference=tape_like_reference), VerificationExplorer(*broken, values=values, reference=tape_like_reference)):
        for key, value in inner.items():
            assert f"{value:.4g}" not in explorer.svg, key
        for key, value in parameters.items():
            assert f"{value:.4g}" in explorer.svg, key
    namespace: dict = {"np": np}
    exec(reference_source(), namespace)  # noqa: S102 - the reference solution
    gradient_table(namespace["forward_pass"], lambda *args: {}, tape_like_reference, **values)
    table = capsys.readouterr().out
    for key, value in inner.items():
        assert f"{value:.7g}" not in table and f"{value:.4g}" not in table, key
    for key, value in parameters.items():
        assert f"{value:.7g}"[:6] in table, key


def test_explorer_returns_none_under_nbgrader(monkeypatch):
    from course.widgets.verification import verification_explorer

    assert verification_explorer(*_functions(reference_source()), reference=tape_like_reference) is not None
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert verification_explorer(*_functions(reference_source()), reference=tape_like_reference) is None


def test_explorer_widget_and_table_build(capsys):
    from course.widgets.verification import gradient_table, verification_explorer

    import ipywidgets

    functions = _functions(reference_source())
    box = verification_explorer(*functions, font_scale=1.6, reference=tape_like_reference)
    assert isinstance(box.view, ipywidgets.HTML) and box.view.value == box.explorer.svg
    before = box.view.value
    box.sliders["b1"].value = 5.0
    assert box.explorer.values["b1"] == 5.0
    assert box.view.value == box.explorer.svg != before
    assert _svg_nodes(box.view.value)["b1"]["texts"][2] == "5"
    box.sliders["y"].value = 0.0
    assert box.explorer.values["y"] == 0.0
    assert _svg_nodes(box.view.value)["y"]["texts"][2] == "0"
    assert set(box.sliders) == {"x", "y", "W1", "b1", "W2", "b2"}
    assert (box.sliders["W1"].min, box.sliders["W1"].max) == (-5.0, 5.0)
    assert box.update(x=-3.0)["mismatches"] == []

    namespace: dict = {}
    from support.verification_corpus import cells_by_id
    exec(cells_by_id()["verify_with_tensorflow"].source, {**namespace, "tf": __import__("tensorflow")}, namespace)
    gradient_table(functions[1], functions[3], namespace["verify_with_tensorflow"],
                   x=0.5, y=1.0, W1=0.8, b1=0.2, W2=0.6, b2=0.1)
    table = capsys.readouterr().out
    assert "dL/dW1" in table and "-0.02611625" in table  # TensorFlow's float32 value
    gradient_table(functions[1], lambda *a: 1 / 0, namespace["verify_with_tensorflow"],
                   x=0.5, y=1.0, W1=0.8, b1=0.2, W2=0.6, b2=0.1)
    assert "No table yet" in capsys.readouterr().out
