"""Notebook 2's helpers: the gradient comparison table and the computation-graph explorer.

:func:`gradient_table` prints the student's gradients next to TensorFlow's (the given
float32 ``verify_with_tensorflow``), their difference and a float64 central difference.

:func:`verification_explorer` puts sliders for x, y, W1, b1, W2, b2 above a drawing of the
computation graph x → z1 → a1 → z2 → y_pred → L (plus the parameters W1, b1, W2, b2).
Each box shows the node's value and gradient dL/d(node) computed by the *student's*
functions and the float64 reference (:func:`course.oracles.two_layer.central_difference`,
which agrees with ``tf.GradientTape`` to ~1e-9 and needs no TensorFlow, so an update costs
well under a millisecond of arithmetic).  Boxes where the two disagree turn orange with ✗.
The figure is built once; an update only changes texts and colours (``set_text``,
``set_facecolor``) and asks for a redraw.  :class:`VerificationExplorer` is the figure
without widgets (used by tests, benchmarks and the classroom dashboard).
"""

from __future__ import annotations

import io
from typing import Any, Callable

from matplotlib.patches import FancyArrowPatch

from ..checks.verification import ATOL, GRADIENT_KEYS, RTOL
from ..coerce import as_scalar, close
from ..feedback import GradingError, fmt
from ..oracles import two_layer
from ..sandbox import call_student
from ._env import PALETTE, grading, new_figure

__all__ = ["gradient_table", "verification_explorer", "VerificationExplorer", "SLIDER_RANGES"]

# Slider ranges: |z1| reaches 20 (hidden unit fully saturated), |z2| reaches 10.
SLIDER_RANGES = {
    "x": (-3.0, 3.0),
    "W1": (-5.0, 5.0),
    "b1": (-5.0, 5.0),
    "W2": (-5.0, 5.0),
    "b2": (-5.0, 5.0),
    "y": (0.0, 1.0),
}
DEFAULT_VALUES = {"x": 0.5, "y": 1.0, "W1": 0.8, "b1": 0.2, "W2": 0.6, "b2": 0.1}
_CALL_LIMIT = 2.0  # seconds per student call in the explorer


# --- the comparison table ------------------------------------------------------------

def gradient_table(forward_pass: Callable, backward_pass: Callable, verify_with_tensorflow: Callable,
                   *, x: float, y: float, W1: float, b1: float, W2: float, b2: float) -> None:
    """Print the student's gradients vs TensorFlow (float32) vs difference vs central difference.

    Never raises: if a student function fails, the reason is printed instead of a table.
    """
    params = {"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    header = "  ".join(f"{k}={fmt(float(v))}" for k, v in params.items())
    try:
        forward = call_student(forward_pass, x, W1, b1, W2, b2, what="forward_pass(...)").value
        z1, a1, z2, y_pred = (as_scalar(v, n) for v, n in zip(forward, ("z1", "a1", "z2", "y_pred")))
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
    reference = two_layer.central_difference(**params)
    lines = [header,
             f"{'gradient':<11}{'yours':>14}{'TensorFlow f32':>16}{'yours - TF':>13}{'central diff f64':>18}"]
    for key in ("dW1", "db1", "dW2", "db2", "dy_pred", "dz2", "da1", "dz1"):
        yours = mine[key]
        tf_value = tf_grads.get(key)
        diff = "" if yours is None or tf_value is None else f"{yours - tf_value:.2e}"
        lines.append(
            f"{'dL/' + key:<11}"
            f"{'missing' if yours is None else f'{yours:.7g}':>14}"
            f"{'—' if tf_value is None else f'{tf_value:.7g}':>16}"
            f"{diff:>13}"
            f"{float(reference[key][0]):>18.7g}"
        )
    print("\n".join(lines))


# --- the explorer ----------------------------------------------------------------------

# Graph layout in data coordinates (axes span 0..12 by 0..6).  Every box holds four
# lines padded to _WIDTH monospace characters, so all boxes have the same size and the
# arrows can end at fixed points on their edges (no per-draw clipping: that doubled the
# render time).
_NODES = {
    "x": (0.75, 4.2), "z1": (2.95, 4.2), "a1": (5.0, 4.2), "z2": (7.05, 4.2),
    "y_pred": (9.1, 4.2), "L": (11.2, 4.2),
    "W1": (2.1, 1.5), "b1": (3.8, 1.5), "W2": (6.2, 1.5), "b2": (7.9, 1.5), "y": (11.2, 1.5),
}
_WIDTH = 16
_HALF_W, _HALF_H = 0.8, 0.56  # half box size in data units (measured at font_scale 1)
_EDGES = [("x", "z1"), ("W1", "z1"), ("b1", "z1"), ("z1", "a1"), ("a1", "z2"), ("W2", "z2"),
          ("b2", "z2"), ("z2", "y_pred"), ("y_pred", "L"), ("y", "L")]
# Node -> (forward-value key, gradient key) in the student's / reference numbers.
_NODE_KEYS = {
    "x": ("x", None), "y": ("y", None), "W1": ("W1", "dW1"), "b1": ("b1", "db1"),
    "W2": ("W2", "dW2"), "b2": ("b2", "db2"), "z1": ("z1", "dz1"), "a1": ("a1", "da1"),
    "z2": ("z2", "dz2"), "y_pred": ("y_pred", "dy_pred"), "L": ("loss", None),
}
_OK_FACE, _BAD_FACE, _INPUT_FACE = "#E8F1F8", "#FBE3C8", "#F2F2F2"


def _number(value: float | None) -> str:
    return ("—" if value is None else f"{value:.4g}").rjust(_WIDTH - 6)


class VerificationExplorer:
    """The computation-graph figure, driven by the student's four functions.

    ``update(**values)`` takes any of x, y, W1, b1, W2, b2 (others keep their value),
    recomputes the student's and the reference numbers, updates the texts and colours in
    place and calls ``redraw`` (``figure.canvas.draw_idle`` unless replaced).  It returns
    ``{"mismatches": [node names marked ✗], "message": status text}``.
    """

    def __init__(self, sigmoid: Callable, forward_pass: Callable, binary_cross_entropy: Callable,
                 backward_pass: Callable, *, font_scale: float = 1.0,
                 values: dict[str, float] | None = None):
        self.functions = (sigmoid, forward_pass, binary_cross_entropy, backward_pass)
        self.values = dict(DEFAULT_VALUES, **(values or {}))
        self.figure = new_figure(9.6 * font_scale, 4.4 * font_scale, font_scale=font_scale)
        self.redraw: Callable[[], None] = self.figure.canvas.draw_idle
        axes = self.figure.add_axes((0.0, 0.0, 1.0, 0.9))
        axes.set_xlim(0, 12)
        axes.set_ylim(0, 6)
        axes.set_axis_off()
        size = 8.5 * font_scale
        self.texts = {}
        for name, (cx, cy) in _NODES.items():
            self.texts[name] = axes.text(
                cx, cy, name, ha="center", va="center", fontsize=size, family="monospace",
                bbox={"boxstyle": "round,pad=0.45", "facecolor": _OK_FACE,
                      "edgecolor": PALETTE["blue"], "linewidth": 1.5},
            )
        for source, target in _EDGES:
            (sx, sy), (tx, ty) = _NODES[source], _NODES[target]
            if sy == ty:  # along the chain: right edge to left edge
                start, end = (sx + _HALF_W, sy), (tx - _HALF_W - 0.05, ty)
            else:  # parameter or label below: top edge up to the bottom edge
                start, end = (sx, sy + _HALF_H), (tx + 0.35 * (sx - tx), ty - _HALF_H - 0.05)
            axes.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12 * font_scale,
                                           color="0.35", lw=1.2, zorder=1))
        self.title = self.figure.text(
            0.01, 0.97, "Forward values and gradients dL/d(node): yours | float64 reference",
            ha="left", va="top", fontsize=10 * font_scale, weight="bold")
        self.status = self.figure.text(0.01, 0.915, "", ha="left", va="top",
                                       fontsize=8.5 * font_scale, color=PALETTE["vermillion"])
        axes.text(6.0, 0.25, "value: forward value   ∂L: your gradient dL/d(node)   ref: float64 "
                  "reference gradient (agrees with tf.GradientTape)   ✗ = yours differs",
                  ha="center", va="center", fontsize=7.5 * font_scale, color="0.3")
        self.update()

    # -- numbers ---------------------------------------------------------------------
    def _student(self, p: dict[str, float]) -> tuple[dict[str, float | None], list[str]]:
        """The student's forward values, loss and gradients (None where unavailable)."""
        sigmoid, forward_pass, bce, backward_pass = self.functions
        out: dict[str, float | None] = {k: None for k in ("z1", "a1", "z2", "y_pred", "loss", *GRADIENT_KEYS)}
        problems: list[str] = []
        try:
            forward = call_student(forward_pass, p["x"], p["W1"], p["b1"], p["W2"], p["b2"],
                                   what="forward_pass", time_limit=_CALL_LIMIT).value
            if isinstance(forward, (str, bytes, dict)) or len(forward) != 4:
                raise GradingError("forward_pass should return (z1, a1, z2, y_pred).")
            for key, value in zip(("z1", "a1", "z2", "y_pred"), forward):
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
            if not close(s, float(two_layer.sigmoid_reference(z)), RTOL, ATOL):
                problems.append(f"your sigmoid({fmt(z)}) = {fmt(s)} differs from 1/(1 + e^-z).")
        except GradingError as error:
            problems.append(str(error))
        return out, problems

    def update(self, **values: float) -> dict[str, Any]:
        """Set slider values, recompute, restyle the boxes in place and redraw."""
        for name, value in values.items():
            if name not in DEFAULT_VALUES:
                raise TypeError(f"unknown explorer value {name!r}")
            self.values[name] = float(value)
        p = dict(self.values)
        reference = {k: float(v[0]) for k, v in two_layer.central_difference(**p).items()}
        reference.update({k: p[k] for k in ("x", "y", "W1", "b1", "W2", "b2")})
        student, problems = self._student(p)
        student.update({k: p[k] for k in ("x", "y", "W1", "b1", "W2", "b2")})
        mismatches = []
        for name, (value_key, grad_key) in _NODE_KEYS.items():
            text = self.texts[name]
            mine_v, ref_v = student.get(value_key), reference[value_key]
            lines = [name if name != "y" else "y (label)", f"value {_number(mine_v)}", "", ""]
            bad = mine_v is None or not close(mine_v, ref_v, RTOL, ATOL * (1 + abs(ref_v)))
            if grad_key is not None:
                mine_g, ref_g = student.get(grad_key), reference[grad_key]
                g_bad = mine_g is None or not close(mine_g, ref_g, RTOL, ATOL * (1 + abs(p["W2"])) * (1 + abs(p["x"])))
                lines[2:] = [f"∂L    {_number(mine_g)}", f"ref   {_number(ref_g)}"]
                bad = bad or g_bad
            elif name != "x" and name != "y":
                lines[2] = f"ref   {_number(ref_v)}"
            if name in ("x", "y"):
                face, edge = _INPUT_FACE, "0.5"
            elif bad:
                face, edge = _BAD_FACE, PALETTE["vermillion"]
                lines[0] = f"✗ {lines[0]}"
                mismatches.append(name)
            else:
                face, edge = _OK_FACE, PALETTE["blue"]
                lines[0] = f"✓ {lines[0]}"
            text.set_text("\n".join(line.center(_WIDTH) if i == 0 else line.ljust(_WIDTH)
                                     for i, line in enumerate(lines)))
            patch = text.get_bbox_patch()
            patch.set_facecolor(face)
            patch.set_edgecolor(edge)
        message = problems[0] if problems else ""
        if len(message) > 150:
            message = message[:147] + "..."
        self.status.set_text(message)
        self.redraw()
        return {"mismatches": mismatches, "message": message}


def verification_explorer(sigmoid: Callable, forward_pass: Callable, binary_cross_entropy: Callable,
                          backward_pass: Callable, *, font_scale: float = 1.0):
    """Sliders for x, y, W1, b1, W2, b2 driving :class:`VerificationExplorer`.

    Returns an ``ipywidgets.VBox`` (sliders above the figure) carrying ``.explorer`` and
    ``.update`` (= ``explorer.update``), or ``None`` while nbgrader grades.
    """
    if grading():
        return None
    import ipywidgets as widgets

    explorer = VerificationExplorer(sigmoid, forward_pass, binary_cross_entropy, backward_pass,
                                    font_scale=font_scale)
    figure = explorer.figure
    canvas = figure.canvas
    if isinstance(canvas, widgets.DOMWidget):  # ipympl: the canvas is the view
        view = canvas
    else:  # any other backend: render the same figure into an image widget
        import matplotlib.pyplot as plt

        plt.close(figure)  # unregister it, or the inline backend shows a second, static copy
        view = widgets.Image(format="png", layout=widgets.Layout(width="min(900px, 100%)"))

        def redraw() -> None:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=80)
            view.value = buffer.getvalue()

        explorer.redraw = redraw
        redraw()

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
    box.explorer, box.update, box.sliders = explorer, explorer.update, sliders
    return box
