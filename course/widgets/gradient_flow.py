"""Notebook 3 plots: per-layer gradient norms on a log axis, sigmoid vs ReLU.

- :func:`plot_gradient_flow` draws the student's own arrays (the plotting task of the
  notebook).  It draws under nbgrader too: the grader marks the plot in formgrader.
- :func:`gradient_flow_explorer` is the depth / activation / init-scale / seed explorer.
  It returns an ipywidgets container (``None`` under nbgrader); its picture is an SVG
  bar chart (:class:`GradientFlowExplorer`) redrawn as text on every change.

Where the explorer's numbers come from — a deliberate trade-off: a numpy backward pass
in ``course/`` would be the solution to the notebook's task, and a central difference
over every weight is too slow for a slider.  So the explorer calls a function with the
contract signature ``analyze(x, y, layer_sizes, activation=..., seed=...)``:

- in the notebook, the student's own ``analyze_gradient_flow`` (the init-scale slider
  reaches it through :func:`course.exercise.networks.init_scale`, because the contract has no
  scale argument and the student builds the weights with ``init_params``);
- on the classroom page (``demos/``, instructor side), the ``tf.GradientTape`` oracle
  ``course.oracles.deep.reference_analyze``, which the page passes in: about 10 ms per
  update for ten layers after TensorFlow's one-off import.  This module never imports
  it (a student's kernel holds no oracle).

The dashed line is the last layer's norm times ``0.25**k`` for a layer ``k`` layers
below it: the shrinkage that the sigmoid derivative alone (σ′ ≤ 0.25) causes.  It is
*not* a bound on the bars — the weights multiply the gradient too, and bars rise above
the line when they are large — and every label says so (:data:`BOUND_LABEL`).

Layout of the explorer's network: ``layer_sizes = [4] + [16] * (depth - 1) + [1]``,
input :data:`course.exercise.networks.DEMO_X`, target :data:`course.exercise.networks.DEMO_Y`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from course.kernel.coerce import as_array
from course.kernel.messages import GradingError, error_summary
from course.exercise.constants import ACTIVATIONS
from course.exercise.networks import DEMO_X, DEMO_Y, init_scale
from course.widgets import svg
from course.widgets._env import PALETTE, figure_png, grading

__all__ = [
    "plot_gradient_flow",
    "gradient_flow_figure",
    "gradient_flow_explorer",
    "GradientFlowExplorer",
    "explorer_layer_sizes",
    "MIN_DEPTH",
    "MAX_DEPTH",
    "SCALE_RANGE",
    "SEED_RANGE",
    "ACTIVATIONS",
    "START",
    "BOUND_LABEL",
]

MIN_DEPTH, MAX_DEPTH = 2, 10
SCALE_RANGE = (0.1, 4.0)
SEED_RANGE = (0, 20)
# Where the explorer opens (the classroom page and notebook 3 alike).
START = {"depth": 10, "activation": "sigmoid", "scale": 1.0, "seed": 0}
HIDDEN_WIDTH = 16
DECADES_SHOWN = 16  # values more than 1e16 below the largest are drawn at the floor

# What the dashed line is, in the words of the plot legends (see the module docstring).
BOUND_LABEL_LINES = ("last layer × 0.25ᵏ: the σ′ ≤ 0.25", "factor alone (weights ignored)")
BOUND_LABEL = " ".join(BOUND_LABEL_LINES)

COLOURS = {"sigmoid": PALETTE["vermillion"], "relu": PALETTE["blue"], "tanh": PALETTE["green"],
           "bound": PALETTE["black"], "floor": PALETTE["purple"]}


def explorer_layer_sizes(depth: int) -> list[int]:
    """``[4, 16, ..., 16, 1]`` with ``depth`` weight layers."""
    return [len(DEMO_X)] + [HIDDEN_WIDTH] * (int(depth) - 1) + [1]


def sigmoid_bound(last_norm: float, n_layers: int) -> np.ndarray:
    """``last_norm * 0.25 ** k`` for layer index ``l``, ``k = n_layers - 1 - l`` sigmoid
    layers between layer ``l`` and the output: the shrinkage from the sigmoid
    derivative alone (at most 0.25 per layer), ignoring the weights."""
    k = np.arange(n_layers - 1, -1, -1, dtype=float)
    return float(last_norm) * 0.25 ** k


def _display_values(values: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Heights clipped to ``floor`` (log axes cannot show 0) and a mask of clipped bars."""
    finite = np.where(np.isfinite(values), values, 0.0)
    clipped = finite < floor
    return np.where(clipped, floor, finite), clipped


def _floor_for(*arrays: np.ndarray) -> float:
    positive = [float(v) for a in arrays for v in a.ravel() if np.isfinite(v) and v > 0]
    if not positive:
        return 1e-12
    return max(min(positive) / 3.0, max(positive) * 10.0 ** -DECADES_SHOWN, 1e-300)


def _coerce_norms(values, name: str) -> np.ndarray:
    array = as_array(values, name).reshape(-1)
    if array.size == 0:
        raise GradingError(f"{name} is empty: one norm per layer expected.")
    return np.abs(array)


# --------------------------------------------------------------------------- static plot
def gradient_flow_figure(sigmoid_norms, relu_norms, *, font_scale: float = 1.0,
                         show_bound: bool = True):
    """Grouped bars of two per-layer norm arrays on a log axis; returns a matplotlib Figure.

    ``sigmoid_norms`` / ``relu_norms``: 1-D sequences (list or array, any float dtype),
    index 0 the layer nearest the input.  Zero or underflowing values are drawn at a
    floor, hatched, and marked "0".  The dashed line is the sigmoid network's last layer
    times 0.25^k: the σ′ ≤ 0.25 factor alone, not a bound (the weights are ignored).
    """
    from matplotlib.figure import Figure  # no pyplot: nothing is shown twice

    sig = _coerce_norms(sigmoid_norms, "sigmoid_norms")
    relu = _coerce_norms(relu_norms, "relu_norms")
    floor = _floor_for(sig, relu)
    n = max(sig.size, relu.size)
    import matplotlib

    with matplotlib.rc_context({"font.size": 10 * font_scale}):
        figure = Figure(figsize=(9.0, 4.2), layout="constrained")
        ax = figure.add_subplot()
        width = 0.38
        for offset, values, label, colour in ((-width / 2, sig, "sigmoid", COLOURS["sigmoid"]),
                                             (width / 2, relu, "ReLU", COLOURS["relu"])):
            heights, clipped = _display_values(values, floor)
            positions = np.arange(1, values.size + 1) + offset
            bars = ax.bar(positions, heights, width, color=colour, label=label, edgecolor="white")
            for bar, is_clipped in zip(bars, clipped):
                if is_clipped:
                    bar.set_hatch("//")
                    bar.set_edgecolor(COLOURS["floor"])
                    ax.annotate("0", (bar.get_x() + width / 2, floor), xytext=(0, 3),
                                textcoords="offset points", ha="center", color=COLOURS["floor"])
        if show_bound and sig.size and sig[-1] > 0:
            bound = sigmoid_bound(sig[-1], sig.size)
            ax.plot(np.arange(1, sig.size + 1), np.maximum(bound, floor), "--o",
                    color=COLOURS["bound"], markersize=4,
                    label="sigmoid: " + BOUND_LABEL_LINES[0] + "\n" + BOUND_LABEL_LINES[1])
        ax.set_yscale("log")
        ax.set_xticks(np.arange(1, n + 1))
        ax.set_xlabel("weight layer (1 = nearest the input)")
        ax.set_ylabel(r"$\|\partial L/\partial W\|_F$ (log scale)")
        ax.set_title(f"Gradient flow through a {n}-layer network")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(axis="y", which="major", alpha=0.3)
    return figure


def plot_gradient_flow(sigmoid_norms, relu_norms, *, font_scale: float = 1.0) -> None:
    """Show :func:`gradient_flow_figure` of your two arrays as a picture in the notebook.

    Works with any matplotlib backend and also while nbgrader grades (the grader marks
    the picture).  Returns None.
    """
    figure = gradient_flow_figure(sigmoid_norms, relu_norms, font_scale=font_scale)
    from IPython.display import Image, display

    display(Image(data=figure_png(figure, dpi=100), format="png"))


# --------------------------------------------------------------------------- explorer

# The explorer's drawing in SVG user units at font_scale 1 (everything scales with it).
_VIEW_W, _VIEW_H = 900, 372
_PLOT = {"left": 84, "right": 584, "top": 46, "bottom": 300}
_LEGEND_X = 606
_F = '<tspan baseline-shift="sub" font-size="75%">F</tspan>'  # the Frobenius norm's subscript


class GradientFlowExplorer:
    """The explorer's bar chart as an SVG string; :meth:`update` recomputes and redraws.

    ``self.svg`` is the current picture (``width="100%"``, fixed height); ``self.redraw``
    is called after every update (a no-op unless replaced: the widget sets it to copy
    ``svg`` into its ``HTML`` view).  Usable without a browser (benchmarks, tests):
    ``GradientFlowExplorer(analyze).update(depth=10, activation="relu", scale=4.0, seed=20)``.
    """

    def __init__(self, analyze: Callable | None = None, *, font_scale: float = 1.0):
        if analyze is None:
            raise TypeError("give a function with analyze_gradient_flow's signature: your own, or "
                            "(on the classroom page) course.oracles.deep.reference_analyze")
        self.analyze = analyze
        self.font_scale = float(font_scale)
        self.redraw: Callable[[], None] = lambda: None
        self.svg = ""
        self.status = ""
        self.last_norms: np.ndarray | None = None

    def compute(self, depth: int, activation: str, scale: float, seed: int) -> np.ndarray:
        """Per-layer norms from ``analyze`` for the explorer's network, coerced to float64."""
        sizes = explorer_layer_sizes(depth)
        with init_scale(scale):
            value = self.analyze(np.array(DEMO_X, dtype=float), DEMO_Y, list(sizes),
                                 activation=activation, seed=int(seed))
        norms = as_array(value, "analyze_gradient_flow's result").reshape(-1)
        if norms.size != depth:
            raise GradingError(f"analyze_gradient_flow returned {norms.size} values for {depth} layers.")
        return np.abs(norms)

    def update(self, depth: int = 5, activation: str = "sigmoid", scale: float = 1.0, seed: int = 0) -> str:
        """Recompute, redraw ``self.svg`` and call ``redraw``; returns the status text
        (empty when all is well)."""
        depth = int(min(max(int(depth), MIN_DEPTH), MAX_DEPTH))
        try:
            norms = self.compute(depth, activation, scale, seed)
            self.status = ""
        except Exception as error:  # noqa: BLE001 - the student's function may raise anything
            norms = None
            self.status = f"analyze_gradient_flow failed: {error_summary(error)}"
        self.last_norms = norms
        if norms is not None:
            clipped = int(_display_values(norms, _floor_for(norms))[1].sum())
            if clipped:
                self.status = (f"{clipped} layer(s) at zero or underflowing: drawn at the floor, "
                               "outlined with dashes and marked 0.")
        self.svg = self._draw_svg(norms, depth, activation)
        self.redraw()
        return self.status

    # -- drawing ------------------------------------------------------------------------
    def _draw_svg(self, norms: np.ndarray | None, depth: int, activation: str) -> str:
        s = self.font_scale

        def n(value: float) -> str:
            return svg.num(value * s)

        left, right, top, bottom = (_PLOT[k] for k in ("left", "right", "top", "bottom"))
        colour = COLOURS.get(activation, COLOURS["sigmoid"])
        parts = [svg.svg_open(_VIEW_W * s, _VIEW_H * s,
                              "Bar chart: the gradient norm of each weight layer on a log axis"),
                 '<rect width="100%" height="100%" fill="#FFFFFF"/>']
        if norms is None:
            title, bound, clipped = "no gradients to show (see the message below)", None, np.zeros(0, bool)
            low, high = 1e-6, 10.0
        else:
            finite_positive = norms[np.isfinite(norms) & (norms > 0)]
            top_value = float(finite_positive.max()) if finite_positive.size else 1.0
            floor = _floor_for(norms)
            bound = sigmoid_bound(norms[-1], depth) if activation == "sigmoid" and norms[-1] > 0 else None
            lowest = min([floor] + ([float(bound.min())] if bound is not None else []))
            low, high = max(min(lowest / 3.0, top_value / 100.0), 1e-300), top_value * 5.0
            heights, clipped = _display_values(norms, floor)
            if not finite_positive.size:
                title = f"{activation}, {depth} layers: every gradient is 0 (saturated output)"
            elif norms[-1] > 0:
                title = f"{activation}, {depth} layers: first/last = {norms[0] / norms[-1]:.2g}"
            else:
                title = f"{activation}, {depth} layers: the last layer's gradient is 0"
        y = svg.LogScale(low, high, bottom, top)
        parts.append(f'<text class="title" x="{n(left)}" y="{n(26)}" font-size="{n(15)}" '
                     f'font-weight="bold">{svg.text(title)}</text>')
        # y axis: a gridline and a label per (thinned) decade
        for exponent in y.decades(max_labels=7):
            at = y(10.0 ** exponent)
            parts.append(f'<line x1="{n(left)}" x2="{n(right)}" y1="{n(at)}" y2="{n(at)}" '
                         f'stroke="#D9D9D9" stroke-width="{n(1)}"/>'
                         f'<text x="{n(left - 6)}" y="{n(at + 4)}" font-size="{n(12)}" text-anchor="end">'
                         f'{svg.power_of_ten(exponent)}</text>')
        band = (right - left) / depth
        centre = [left + band * (index + 0.5) for index in range(depth)]
        for index, x in enumerate(centre):
            parts.append(f'<text x="{n(x)}" y="{n(bottom + 18)}" font-size="{n(12)}" '
                         f'text-anchor="middle">{index + 1}</text>')
        if norms is not None:
            width = band * 0.7
            for index, x in enumerate(centre):
                at = y(float(heights[index]))
                label = f"layer {index + 1}: ‖∂L/∂W‖_F = {norms[index]:.3g}"
                style = (f'fill="{colour}" fill-opacity="0.35" stroke="{COLOURS["floor"]}" '
                         f'stroke-dasharray="{n(4)} {n(3)}" stroke-width="{n(1.5)}"' if clipped[index]
                         else f'fill="{colour}"')
                parts.append(f'<rect class="bar" data-layer="{index + 1}" x="{n(x - width / 2)}" '
                             f'y="{n(at)}" width="{n(width)}" height="{n(max(bottom - at, 1.0))}" {style}>'
                             f'<title>{svg.text(label)}</title></rect>')
                if clipped[index]:
                    parts.append(f'<text x="{n(x)}" y="{n(at - 4)}" font-size="{n(12)}" text-anchor="middle" '
                                 f'fill="{COLOURS["floor"]}">0</text>')
            if clipped.any():
                at = y(_floor_for(norms))
                parts.append(f'<line class="floor" x1="{n(left)}" x2="{n(right)}" y1="{n(at)}" y2="{n(at)}" '
                             f'stroke="{COLOURS["floor"]}" stroke-width="{n(1.2)}" stroke-dasharray="{n(2)} {n(3)}"/>')
            if bound is not None:
                points = " ".join(f"{n(x)},{n(y(max(float(v), low)))}" for x, v in zip(centre, bound))
                parts.append(f'<g class="bound" stroke="{COLOURS["bound"]}" fill="{COLOURS["bound"]}">'
                             f'<polyline points="{points}" fill="none" stroke-width="{n(1.5)}" '
                             f'stroke-dasharray="{n(6)} {n(4)}"/>'
                             + "".join(f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="{n(3)}"/>'
                                       for p in points.split()) + "</g>")
        # axes, axis labels
        parts.append(f'<path d="M{n(left)},{n(top)} V{n(bottom)} H{n(right)}" fill="none" stroke="#262626" '
                     f'stroke-width="{n(1.2)}"/>'
                     f'<text x="{n((left + right) / 2)}" y="{n(bottom + 44)}" font-size="{n(13)}" '
                     f'text-anchor="middle">weight layer (1 = nearest the input)</text>'
                     f'<text transform="translate({n(20)},{n((top + bottom) / 2)}) rotate(-90)" '
                     f'font-size="{n(13)}" text-anchor="middle">‖∂L/∂W‖{_F} (log scale)</text>')
        parts.append(self._legend(n, colour, activation, bound is not None, bool(clipped.any())))
        parts.append("</svg>")
        return "".join(parts)

    def _legend(self, n, colour: str, activation: str, bound_shown: bool, floor_shown: bool) -> str:
        x, row = _LEGEND_X, 22

        def opacity(shown: bool) -> str:
            return "1" if shown else "0.3"

        rows = [
            (f'<rect x="{n(x)}" y="{n(0)}" width="{n(22)}" height="{n(12)}" fill="{colour}"/>',
             [f"‖∂L/∂W‖{_F} ({svg.text(activation)})"], True),
            (f'<line x1="{n(x)}" x2="{n(x + 22)}" y1="{n(6)}" y2="{n(6)}" stroke="{COLOURS["bound"]}" '
             f'stroke-width="{n(1.5)}" stroke-dasharray="{n(6)} {n(4)}"/>'
             f'<circle cx="{n(x + 11)}" cy="{n(6)}" r="{n(3)}" fill="{COLOURS["bound"]}"/>',
             [svg.text(line) for line in BOUND_LABEL_LINES], bound_shown),
            (f'<line x1="{n(x)}" x2="{n(x + 22)}" y1="{n(6)}" y2="{n(6)}" stroke="{COLOURS["floor"]}" '
             f'stroke-width="{n(1.2)}" stroke-dasharray="{n(2)} {n(3)}"/>',
             ["floor: 0 or underflow"], floor_shown),
        ]
        out, offset = ['<g class="legend">'], _PLOT["top"]
        for key, lines, shown in rows:
            out.append(f'<g opacity="{opacity(shown)}" transform="translate(0,{n(offset)})">{key}')
            for index, line in enumerate(lines):
                out.append(f'<text x="{n(x + 30)}" y="{n(11 + index * 16)}" font-size="{n(12.5)}">'
                           f'{line}</text>')
            out.append("</g>")
            offset += row + 16 * (len(lines) - 1) + 8
        out.append("</g>")
        return "".join(out)


def gradient_flow_explorer(analyze: Callable | None = None, *, font_scale: float = 1.0):
    """Sliders (depth 2–10, activation, init scale, seed) → per-layer gradient bars.

    ``analyze``: a function with the contract signature
    ``analyze(x, y, layer_sizes, activation=..., seed=...)`` returning per-layer norms,
    e.g. your ``analyze_gradient_flow`` (the classroom page passes the ``tf.GradientTape``
    oracle, ``course.oracles.deep.reference_analyze``).
    ``font_scale`` enlarges the text (classroom projection).  Returns the ipywidgets
    container (its ``.explorer`` attribute is the :class:`GradientFlowExplorer`, ``.view``
    the ``HTML`` widget with the picture), or None while nbgrader grades.
    """
    if grading():
        return None
    import ipywidgets as widgets

    explorer = GradientFlowExplorer(analyze, font_scale=font_scale)
    style = {"description_width": "initial"}
    layout = widgets.Layout(width="320px")
    depth = widgets.IntSlider(value=START["depth"], min=MIN_DEPTH, max=MAX_DEPTH, description="depth (layers)",
                              style=style, layout=layout, continuous_update=False)
    activation = widgets.ToggleButtons(options=list(ACTIVATIONS), value=START["activation"],
                                       description="activation", style=style)
    scale = widgets.FloatSlider(value=START["scale"], min=SCALE_RANGE[0], max=SCALE_RANGE[1], step=0.05,
                                description="init scale", style=style, layout=layout,
                                continuous_update=False)
    seed = widgets.IntSlider(value=START["seed"], min=SEED_RANGE[0], max=SEED_RANGE[1], description="seed",
                             style=style, layout=layout, continuous_update=False)
    status = widgets.HTML(value="")
    view = widgets.HTML(value="", layout=widgets.Layout(width="100%"))

    def redraw() -> None:
        view.value = explorer.svg

    explorer.redraw = redraw

    def on_change(_change=None) -> None:
        message = explorer.update(depth.value, activation.value, scale.value, seed.value)
        status.value = f"<span style='color:{PALETTE['vermillion']}'>{svg.text(message)}</span>" if message else ""

    for control in (depth, activation, scale, seed):
        control.observe(on_change, names="value")
    on_change()
    box = widgets.VBox([widgets.HBox([depth, seed]), widgets.HBox([activation, scale]), view, status])
    box.explorer, box.view = explorer, view
    box.controls = {"depth": depth, "activation": activation, "scale": scale, "seed": seed}
    return box
