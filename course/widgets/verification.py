"""Notebook 2's helpers: the gradient comparison table and the computation-graph explorer.

:func:`gradient_table` prints the student's gradients next to TensorFlow's (the given
float32 ``verify_with_tensorflow``) and their difference.

:func:`verification_explorer` puts sliders for x, y, W1, b1, W2, b2 above a drawing of the
computation graph x → z1 → a1 → z2 → y_pred → L (plus the parameters W1, b1, W2, b2).
Each box shows the node's value and gradient dL/d(node) computed by the *student's*
functions.  The reference beside them is the notebook's own ``verify_with_tensorflow``,
passed in as ``reference=``: the four parameter gradients dL/dW1, dL/db1, dL/dW2, dL/db2.
Nothing in this module computes a forward value or a gradient itself, so the course's
student-side code holds no notebook-1 answer key; the intermediate gradients (dL/dz1,
dL/da1, …) get no reference, and a slip there shows in the parameter boxes downstream.
Boxes where the student's numbers and the reference disagree turn orange with ✗; boxes
the student's code gave no number for are grey (dashed) with "?".

The graph is an inline SVG string shown in an ``ipywidgets.HTML``.  Its layout (boxes,
arrows, static labels) is computed once as a template; an update only formats the node
texts and colours into the template and assigns the widget's ``value`` (a few hundred
microseconds; no matplotlib, no glyph rendering in the kernel).  :class:`VerificationExplorer`
is the drawing without widgets (used by tests, benchmarks and the classroom dashboard);
its ``svg`` attribute is the current SVG text.  Without student functions it draws the
reference alone (the classroom page, which passes the instructor's full reference,
``course.oracles.two_layer.central_difference``, as ``reference=``).

Both explorers open at :data:`START_VALUES`, away from the exercise's worked example, so
that notebook 2 and the projected classroom page never show notebook 1's answers before
the students have worked them out.
"""

from __future__ import annotations

import textwrap
from typing import Any, Callable

from course.exercise.constants import FORWARD_KEYS, FORWARD_PASS_OUTPUTS, GIVEN_NAMES, GRADIENT_KEYS
from course.exercise.constants import VERIFICATION_ATOL as ATOL
from course.exercise.constants import VERIFICATION_RTOL as RTOL
import numpy as np

from course.kernel.coerce import as_scalar, close
from course.kernel.messages import GradingError, fmt
from course.kernel.calls import call_student
from course.widgets._env import PALETTE, grading
from course.widgets.svg import Template, svg_open
from course.widgets.svg import text as _text

__all__ = ["gradient_table", "verification_explorer", "VerificationExplorer",
           "PARAMETER_GRADIENTS", "SLIDER_RANGES", "START_VALUES"]

# Slider ranges: |z1| reaches 20 (hidden unit fully saturated), |z2| reaches 10.
SLIDER_RANGES = {
    "x": (-3.0, 3.0),
    "W1": (-5.0, 5.0),
    "b1": (-5.0, 5.0),
    "W2": (-5.0, 5.0),
    "b2": (-5.0, 5.0),
    "y": (0.0, 1.0),
}
# Where the explorers open: NOT the exercise's worked example (x = 0.5, y = 1, W1 = 0.8,
# b1 = 0.2, W2 = 0.6, b2 = 0.1), whose forward values and gradients are notebook 1's answers.
START_VALUES = {"x": 1.5, "y": 0.0, "W1": -1.2, "b1": 0.4, "W2": 2.0, "b2": -0.3}
_CALL_LIMIT = 2.0  # seconds per student call in the explorer

# The gradients verify_with_tensorflow returns: the only ones with a reference here.
PARAMETER_GRADIENTS = ("dW1", "db1", "dW2", "db2")
def _sigmoid(z: float) -> float:
    return float(np.exp(-np.logaddexp(0.0, -z)))


def _reference_floats(reference: Callable, p: dict[str, float]) -> dict[str, float]:
    """``reference(**p)`` as {key: Python float}; array values (shape (1,)) are unwrapped.

    The reference is the notebook's own ``verify_with_tensorflow`` (student code, called
    through :func:`call_student`) or, on the classroom page, the instructor's oracle; a
    reference that fails gives no numbers."""
    try:
        values = call_student(reference, what="the reference", time_limit=_CALL_LIMIT * 5, **p).value
        return {k: float(np.asarray(v, dtype=np.float64).reshape(-1)[0]) for k, v in dict(values).items()}
    except (GradingError, TypeError, ValueError):
        return {}


# --- the comparison table ------------------------------------------------------------

def gradient_table(forward_pass: Callable, backward_pass: Callable, verify_with_tensorflow: Callable,
                   *, x: float, y: float, W1: float, b1: float, W2: float, b2: float) -> None:
    """Print the student's gradients vs TensorFlow (float32) and their difference;
    TensorFlow gives the four parameter gradients only (the node rows show the student's
    numbers alone).

    Never raises: if a student function fails, the reason is printed instead of a table.
    """
    params = {"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    header = "  ".join(f"{k}={fmt(float(v))}" for k, v in params.items())
    try:
        forward = call_student(forward_pass, x, W1, b1, W2, b2, what="forward_pass(...)").value
        z1, a1, z2, y_pred = (as_scalar(v, n) for v, n in zip(forward, FORWARD_PASS_OUTPUTS))
        mine = call_student(backward_pass, x, y, z1, a1, z2, y_pred, W1, b1, W2, b2,
                            what="backward_pass(...)").value
        mine = {k: as_scalar(mine[k], k) if k in mine else None for k in GRADIENT_KEYS}
    except (GradingError, TypeError, ValueError, KeyError) as error:
        print(f"{header}\nNo table yet: {error}")
        return
    try:
        tf_grads = call_student(verify_with_tensorflow, x, y, W1, b1, W2, b2,
                                what="verify_with_tensorflow(...)").value
        tf_grads = {k: as_scalar(v, k) for k, v in tf_grads.items()}
    except (GradingError, AttributeError) as error:
        tf_grads = {}
        print(f"(TensorFlow column unavailable: {error})")
    lines = [header, f"{'gradient':<11}{'yours':>14}{'TensorFlow f32':>16}{'yours - TF':>13}"]
    for key in ("dW1", "db1", "dW2", "db2", "dy_pred", "dz2", "da1", "dz1"):
        yours = mine[key]
        tf_value = tf_grads.get(key)
        diff = "" if yours is None or tf_value is None else f"{yours - tf_value:.2e}"
        lines.append(
            f"{'dL/' + key:<11}"
            f"{'missing' if yours is None else f'{yours:.7g}':>14}"
            f"{'—' if tf_value is None else f'{tf_value:.7g}':>16}"
            f"{diff:>13}"
        )
    print("\n".join(lines))


# --- the explorer ----------------------------------------------------------------------

# Layout in SVG user units at font_scale 1 (everything is multiplied by font_scale).
_VIEW_W, _VIEW_H = 968, 400
_BOX_W, _BOX_H = 132, 84
_ROW_DY = (-27, -9, 9, 27)  # line centres inside a box, relative to its centre
_CHAIN_Y, _PARAM_Y = 148, 318
_NODES = {
    "x": (76, _CHAIN_Y), "z1": (239, _CHAIN_Y), "a1": (402, _CHAIN_Y), "z2": (565, _CHAIN_Y),
    "y_pred": (728, _CHAIN_Y), "L": (891, _CHAIN_Y),
    "W1": (170, _PARAM_Y), "b1": (310, _PARAM_Y), "W2": (496, _PARAM_Y), "b2": (636, _PARAM_Y),
    "y": (891, _PARAM_Y),
}
_EDGES = [("x", "z1"), ("W1", "z1"), ("b1", "z1"), ("z1", "a1"), ("a1", "z2"), ("W2", "z2"),
          ("b2", "z2"), ("z2", "y_pred"), ("y_pred", "L"), ("y", "L")]
# Node -> (forward-value key, gradient key) in the student's / reference numbers.
_NODE_KEYS = {
    "x": ("x", None), "y": ("y", None), "W1": ("W1", "dW1"), "b1": ("b1", "db1"),
    "W2": ("W2", "dW2"), "b2": ("b2", "db2"), "z1": ("z1", "dz1"), "a1": ("a1", "da1"),
    "z2": ("z2", "dz2"), "y_pred": ("y_pred", "dy_pred"), "L": ("loss", None),
}
_INPUTS = GIVEN_NAMES
_STATE_WORDS = {"ok": "agrees with the reference", "bad": "differs from the reference",
                "missing": "your code gave no number", "input": "input"}
_MARKS = {"ok": "✓ ", "bad": "✗ ", "missing": "? ", "input": ""}
# State -> (box fill, box stroke, stroke width, dash pattern, header colour).
_STYLES = {
    "ok": ("#E8F1F8", PALETTE["blue"], 1.5, "none", PALETTE["blue"]),
    "bad": ("#FBE3C8", PALETTE["vermillion"], 3.0, "none", PALETTE["vermillion"]),
    "missing": ("#E6E6E6", "#8C8C8C", 1.5, "6 4", "#595959"),
    "input": ("#F7F7F7", "#8C8C8C", 1.2, "none", "#262626"),
    "reference": ("#E8F1F8", PALETTE["blue"], 1.5, "none", PALETTE["blue"]),
}
_STATE_WORDS["reference"] = "float64 reference"
_MARKS["reference"] = ""
# (title, legend) with the student's functions, and for the reference alone.
_WORDS = {
    "compare": ("Forward values and gradients dL/d(node): yours | your verify_with_tensorflow",
                "value: forward value · ∂L: your dL/d(node) · ref: what your verify_with_tensorflow gives "
                "for W1, b1, W2, b2 · ✓ agrees · ✗ differs · ? missing"),
    "reference": ("Forward values and gradients dL/d(node), computed by float64 central differences",
                  "value: forward value · ∂L: gradient dL/d(node) by central differences, which agree "
                  "with tf.GradientTape; no hand-written backward pass"),
}


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _build_template(font_scale: float, mode: str) -> Template:
    """The SVG layout at ``font_scale``: boxes, arrows and static labels, computed once.

    ``mode`` is "compare" (the student's numbers beside the reference) or "reference".
    """
    s = float(font_scale)
    title, legend = _WORDS[mode]

    def n(value: float) -> str:
        return f"{value * s:.1f}".rstrip("0").rstrip(".")

    t = Template()
    t.static(
        svg_open(_VIEW_W * s, _VIEW_H * s, "Computation graph x, z1, a1, z2, y_pred, L with parameters "
                 "W1, b1, W2, b2 and label y: " + title)
        + f'<title>{_text(title)}</title>'
        f'<rect width="100%" height="100%" fill="#FFFFFF"/>'
        f'<text x="{n(8)}" y="{n(22)}" font-size="{n(15)}" font-weight="bold" fill="#000000">'
        f'{_text(title)}</text>'
    )
    for line, y in ((1, 44), (2, 61)):
        t.static(f'<text x="{n(8)}" y="{n(y)}" font-size="{n(12.5)}" fill="{PALETTE["vermillion"]}">')
        t.slot(f"status{line}")
        t.static("</text>")
    # Arrows: a line and an arrowhead polygon each (no <marker>: ids would clash between
    # several explorers on one page).
    hw, hh = _BOX_W / 2, _BOX_H / 2
    arrows = []
    for source, target in _EDGES:
        (sx, sy), (tx, ty) = _NODES[source], _NODES[target]
        if sy == ty:  # along the chain: right edge to left edge
            x0, y0, x1, y1 = sx + hw, sy, tx - hw - 1, ty
        else:  # parameter or label below: top edge up to the target's bottom edge
            x0, y0, x1, y1 = sx, sy - hh, tx + 0.35 * (sx - tx), ty + hh + 1
        dx, dy = x1 - x0, y1 - y0
        length = (dx * dx + dy * dy) ** 0.5
        ux, uy = dx / length, dy / length
        bx, by = x1 - 10 * ux, y1 - 10 * uy  # arrowhead base centre, 10 units long
        arrows.append(f'<line x1="{n(x0)}" y1="{n(y0)}" x2="{n(bx)}" y2="{n(by)}"/>'
                      f'<polygon points="{n(x1)},{n(y1)} {n(bx - 4.5 * uy)},{n(by + 4.5 * ux)} '
                      f'{n(bx + 4.5 * uy)},{n(by - 4.5 * ux)}" stroke="none"/>')
    t.static(f'<g stroke="#595959" fill="#595959" stroke-width="{n(1.3)}" aria-hidden="true">'
             + "".join(arrows) + "</g>")
    for name, (cx, cy) in _NODES.items():
        t.static('<g class="node" data-node="' + name + '"')
        t.slot(f"{name}:data")
        t.static("><title>")
        t.slot(f"{name}:title")
        t.static(f'</title><rect x="{n(cx - hw)}" y="{n(cy - hh)}" width="{n(_BOX_W)}" '
                 f'height="{n(_BOX_H)}" rx="{n(8)}"')
        t.slot(f"{name}:style")
        t.static(f'/><text x="{n(cx)}" y="{n(cy + _ROW_DY[0] + 4.5)}" text-anchor="middle" '
                 f'font-size="{n(13)}" font-weight="bold"')
        t.slot(f"{name}:head_fill")
        t.static(">")
        t.slot(f"{name}:head")
        t.static("</text>")
        t.static(f'<g font-family="monospace" font-size="{n(12)}" fill="#1A1A1A">')
        for row in (1, 2, 3):
            y = n(cy + _ROW_DY[row] + 4.2)
            t.static(f'<text x="{n(cx - hw + 8)}" y="{y}">')
            t.slot(f"{name}:label{row}")
            t.static(f'</text><text x="{n(cx + hw - 8)}" y="{y}" text-anchor="end">')
            t.slot(f"{name}:number{row}")
            t.static("</text>")
        t.static("</g></g>")
    t.static(f'<text x="{n(_VIEW_W / 2)}" y="{n(_VIEW_H - 14)}" text-anchor="middle" '
             f'font-size="{n(12)}" fill="#4D4D4D">{_text(legend)}</text></svg>')
    return t


class VerificationExplorer:
    """The computation-graph drawing (an SVG string), driven by the student's four functions.

    With no functions (all four ``None``) it shows the float64 reference alone: each box
    holds the value and the gradient, state "reference" (the classroom page).

    ``reference(x, y, W1, b1, W2, b2)`` gives the reference numbers, a dict with the
    forward values, ``loss`` and any gradients (floats or arrays of shape (1,)); a node
    whose value or gradient it lacks has none ("—").  Required: notebook 2 passes its own
    ``verify_with_tensorflow``; the classroom page passes the instructor's full oracle.

    ``update(**values)`` takes any of x, y, W1, b1, W2, b2 (others keep their value),
    recomputes the student's and the reference numbers, formats them into the SVG
    template (``self.svg``), records each node's state in ``self.states`` ("ok", "bad",
    "missing" or "input") and calls ``redraw()`` (a no-op unless replaced; the widget
    sets it to copy ``svg`` into its ``HTML`` view).  It returns ``{"mismatches": [node
    names marked ✗], "missing": [nodes without a number], "message": status text}``.
    """

    def __init__(self, sigmoid: Callable | None = None, forward_pass: Callable | None = None,
                 binary_cross_entropy: Callable | None = None, backward_pass: Callable | None = None,
                 *, font_scale: float = 1.0, values: dict[str, float] | None = None,
                 reference: Callable[..., dict] | None = None):
        self.functions = (sigmoid, forward_pass, binary_cross_entropy, backward_pass)
        if reference is None:
            raise TypeError("pass reference=: the notebook's verify_with_tensorflow (or, on the classroom "
                            "page, the instructor's oracle)")
        self.reference = reference
        self.reference_only = all(f is None for f in self.functions)
        if not self.reference_only and any(f is None for f in self.functions):
            raise TypeError("give all four functions, or none for the reference alone")
        self.values = dict(START_VALUES, **(values or {}))
        self.font_scale = float(font_scale)
        self.redraw: Callable[[], None] = lambda: None
        self.svg = ""
        self.states: dict[str, str] = {}
        self.message = ""
        self._template = _build_template(self.font_scale, "reference" if self.reference_only else "compare")
        self._styles = {
            state: (f' fill="{fill}" stroke="{stroke}" stroke-width="{width * self.font_scale:g}"'
                    f' stroke-dasharray="{dash if dash == "none" else " ".join(f"{float(d) * self.font_scale:g}" for d in dash.split())}"',
                    f' fill="{head}"')
            for state, (fill, stroke, width, dash, head) in _STYLES.items()
        }
        self.update()

    def _repr_svg_(self) -> str:
        return self.svg

    # -- numbers ---------------------------------------------------------------------
    def _student(self, p: dict[str, float]) -> tuple[dict[str, float | None], list[str]]:
        """The student's forward values, loss and gradients (None where unavailable)."""
        sigmoid, forward_pass, bce, backward_pass = self.functions
        out: dict[str, float | None] = {k: None for k in (*FORWARD_KEYS, *GRADIENT_KEYS)}
        problems: list[str] = []
        try:
            forward = call_student(forward_pass, p["x"], p["W1"], p["b1"], p["W2"], p["b2"],
                                   what="forward_pass", time_limit=_CALL_LIMIT).value
            if isinstance(forward, (str, bytes, dict)) or len(forward) != 4:
                raise GradingError("forward_pass should return (z1, a1, z2, y_pred).")
            for key, value in zip(FORWARD_PASS_OUTPUTS, forward):
                out[key] = as_scalar(value, key)
        except (GradingError, TypeError) as error:
            problems.append(str(error))
            return out, problems
        try:
            out["loss"] = as_scalar(call_student(bce, p["y"], out["y_pred"], what="binary_cross_entropy",
                                                 time_limit=_CALL_LIMIT).value, "loss")
        except GradingError as error:
            problems.append(str(error))
        try:
            grads = call_student(backward_pass, p["x"], p["y"], out["z1"], out["a1"], out["z2"],
                                 out["y_pred"], p["W1"], p["b1"], p["W2"], p["b2"],
                                 what="backward_pass", time_limit=_CALL_LIMIT).value
            if not isinstance(grads, dict):
                raise GradingError("backward_pass should return a dict of gradients.")
            for key in GRADIENT_KEYS:
                try:
                    out[key] = as_scalar(grads[key], key) if key in grads else None
                except GradingError as error:
                    problems.append(str(error))
        except GradingError as error:
            problems.append(str(error))
        try:
            z = out["z1"]
            s = as_scalar(call_student(sigmoid, z, what="sigmoid", time_limit=_CALL_LIMIT).value, "sigmoid")
            if not close(s, _sigmoid(z), RTOL, ATOL):
                problems.append(f"your sigmoid({fmt(z)}) = {fmt(s)} differs from 1/(1 + e^-z).")
        except GradingError as error:
            problems.append(str(error))
        return out, problems

    def update(self, **values: float) -> dict[str, Any]:
        """Set slider values, recompute, format the SVG (``self.svg``) and call ``redraw``."""
        for name, value in values.items():
            if name not in START_VALUES:
                raise TypeError(f"unknown explorer value {name!r}")
            self.values[name] = float(value)
        p = dict(self.values)
        reference = _reference_floats(self.reference, p)
        reference.update({k: p[k] for k in _INPUTS})
        student, problems = (dict(reference), []) if self.reference_only else self._student(p)
        student.update({k: p[k] for k in _INPUTS})
        slots: dict[str, str] = {}
        states: dict[str, str] = {}
        mismatches, missing = [], []
        for name, (value_key, grad_key) in _NODE_KEYS.items():
            mine_v, ref_v = student.get(value_key), reference.get(value_key)
            rows = [("value", _number(mine_v)), ("", ""), ("", "")]
            absent = mine_v is None
            bad = not absent and ref_v is not None and not close(mine_v, ref_v, RTOL, ATOL * (1 + abs(ref_v)))
            if grad_key is not None:
                mine_g, ref_g = student.get(grad_key), reference.get(grad_key)
                absent = absent or mine_g is None
                bad = bad or (mine_g is not None and ref_g is not None and not close(
                    mine_g, ref_g, RTOL, ATOL * (1 + abs(p["W2"])) * (1 + abs(p["x"]))))
                rows[1:] = [("∂L", _number(mine_g)), ("ref", _number(ref_g))]
                detail = f"value {_number(mine_v)}, your dL/d{name} {_number(mine_g)}, reference {_number(ref_g)}"
                if self.reference_only:
                    rows[1:] = [("∂L", _number(ref_g)), ("", "")]
                    detail = f"value {_number(ref_v)}, dL/d{name} {_number(ref_g)}"
            elif self.reference_only and name == "L":
                detail = f"loss {_number(ref_v)}"
            elif name not in ("x", "y"):
                rows[1] = ("ref", _number(ref_v))
                detail = f"your loss {_number(mine_v)}, reference {_number(ref_v)}"
            else:
                detail = f"value {_number(mine_v)}"
            if name in ("x", "y"):
                state = "input"
            elif self.reference_only:
                state = "reference"
            elif bad:
                state = "bad"
                mismatches.append(name)
            elif absent:
                state = "missing"
                missing.append(name)
            else:
                state = "ok"
            states[name] = state
            label = "y (label)" if name == "y" else name
            box_style, head_fill = self._styles[state]
            slots[f"{name}:data"] = f' data-state="{state}"'
            slots[f"{name}:title"] = _text(f"{label}: {_STATE_WORDS[state]}; {detail}")
            slots[f"{name}:style"] = box_style
            slots[f"{name}:head_fill"] = head_fill
            slots[f"{name}:head"] = _text(_MARKS[state] + label)
            for row, (row_label, number) in enumerate(rows, start=1):
                slots[f"{name}:label{row}"] = row_label
                slots[f"{name}:number{row}"] = _text(number)
        message = problems[0] if problems else ""
        if len(message) > 150:
            message = message[:147] + "..."
        lines = textwrap.wrap(" ".join(message.split()), 100)[:2] if message else []
        slots["status1"] = _text(lines[0]) if lines else ""
        slots["status2"] = _text(lines[1]) if len(lines) > 1 else ""
        self.states, self.message = states, message
        self.svg = self._template.render(slots)
        self.redraw()
        return {"mismatches": mismatches, "missing": missing, "message": message}


def verification_explorer(sigmoid: Callable | None = None, forward_pass: Callable | None = None,
                          binary_cross_entropy: Callable | None = None, backward_pass: Callable | None = None,
                          *, font_scale: float = 1.0, reference: Callable[..., dict] | None = None):
    """Sliders for x, y, W1, b1, W2, b2 driving :class:`VerificationExplorer`.

    Pass the student's four functions; pass none to show the float64 reference alone
    (``reference`` as in :class:`VerificationExplorer`).

    Returns an ``ipywidgets.VBox`` (sliders above an ``HTML`` widget holding the SVG)
    carrying ``.explorer``, ``.update`` (= ``explorer.update``) and ``.sliders``, or
    ``None`` while nbgrader grades.
    """
    if grading():
        return None
    import ipywidgets as widgets

    explorer = VerificationExplorer(sigmoid, forward_pass, binary_cross_entropy, backward_pass,
                                    font_scale=font_scale, reference=reference)
    view = widgets.HTML(value=explorer.svg, layout=widgets.Layout(width="100%"))

    def redraw() -> None:
        view.value = explorer.svg

    explorer.redraw = redraw

    sliders: dict[str, Any] = {}
    for name in ("x", "W1", "b1", "W2", "b2"):
        low, high = SLIDER_RANGES[name]
        sliders[name] = widgets.FloatSlider(
            value=explorer.values[name], min=low, max=high, step=0.1, description=name,
            continuous_update=True, readout_format="+.1f", layout=widgets.Layout(width="300px"))
    sliders["y"] = widgets.ToggleButtons(options=[("y = 0", 0.0), ("y = 1", 1.0)],
                                         value=explorer.values["y"], description="label")

    def on_change(change: dict) -> None:
        explorer.update(**{change["owner"].description if change["owner"] is not sliders["y"] else "y":
                           float(change["new"])})

    for widget in sliders.values():
        widget.observe(on_change, names="value")
    controls = widgets.HBox([
        widgets.VBox([sliders["x"], sliders["y"]]),
        widgets.VBox([sliders["W1"], sliders["b1"]]),
        widgets.VBox([sliders["W2"], sliders["b2"]]),
    ])
    box = widgets.VBox([controls, view])
    box.explorer, box.update, box.sliders, box.view = explorer, explorer.update, sliders, view
    return box
