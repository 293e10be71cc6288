"""Notebook 3 plots: per-layer gradient norms on a log axis, sigmoid vs ReLU.

- :func:`plot_gradient_flow` draws the student's own arrays (the plotting task of the
  notebook).  It draws under nbgrader too: the grader marks the plot in formgrader.
- :func:`gradient_flow_explorer` is the depth / activation / init-scale / seed explorer.
  It returns an ipywidgets container (``None`` under nbgrader).

Where the explorer's numbers come from — a deliberate trade-off: a numpy backward pass
in ``course/`` would be the solution to the notebook's task, and a central difference
over every weight is too slow for a slider.  So the explorer calls a function with the
contract signature ``analyze(x, y, layer_sizes, activation=..., seed=...)``:

- in the notebook, the student's own ``analyze_gradient_flow`` (the init-scale slider
  reaches it through :func:`course.networks.init_scale`, because the contract has no
  scale argument and the student builds the weights with ``init_params``);
- with ``analyze=None`` (classroom demo), the ``tf.GradientTape`` oracle, about 10 ms
  per update for ten layers after TensorFlow's one-off import.

Layout of the explorer's network: ``layer_sizes = [4] + [16] * (depth - 1) + [1]``,
input :data:`course.networks.DEMO_X`, target :data:`course.networks.DEMO_Y`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..coerce import as_array
from ..feedback import GradingError
from ..networks import DEMO_X, DEMO_Y, init_scale
from ._env import PALETTE, figure_png, figure_view, grading, new_figure

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
]

MIN_DEPTH, MAX_DEPTH = 2, 10
SCALE_RANGE = (0.1, 4.0)
SEED_RANGE = (0, 20)
ACTIVATIONS = ("sigmoid", "relu", "tanh")
HIDDEN_WIDTH = 16
DECADES_SHOWN = 16  # values more than 1e16 below the largest are drawn at the floor

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
    floor, hatched, and marked "0".  The dashed line is the 0.25^k reference for the
    sigmoid network, anchored at its last layer.
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
                    label=r"sigmoid bound: last layer $\times\,0.25^k$")
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
def _oracle_analyze(x, y, layer_sizes, activation="sigmoid", seed=0):
    from ..oracles.deep import reference_analyze  # imports TensorFlow on first use

    return reference_analyze(x, y, layer_sizes, activation, seed)


class GradientFlowExplorer:
    """The figure and artists of the explorer; :meth:`update` redraws in place.

    Usable without a browser (benchmarks, tests): ``GradientFlowExplorer().update(
    depth=10, activation="relu", scale=4.0, seed=20)``.
    """

    def __init__(self, analyze: Callable | None = None, *, font_scale: float = 1.0):
        self.analyze = analyze if analyze is not None else _oracle_analyze
        self.font_scale = font_scale
        self.figure = new_figure(8.6, 3.8, font_scale=font_scale)
        import matplotlib
        from matplotlib.ticker import NullLocator

        with matplotlib.rc_context({"font.size": 10 * font_scale}):
            ax = self.figure.add_subplot()
            positions = np.arange(1, MAX_DEPTH + 1)
            self.bars = ax.bar(positions, np.ones(MAX_DEPTH), 0.7, color=COLOURS["sigmoid"],
                               edgecolor="white", label=r"$\|\partial L/\partial W\|_F$")
            (self.bound_line,) = ax.plot(positions, np.ones(MAX_DEPTH), "--o", color=COLOURS["bound"],
                                         markersize=4, label=r"last layer $\times\,0.25^k$")
            self.floor_line = ax.axhline(1e-12, color=COLOURS["floor"], linewidth=1, linestyle=":",
                                         label="floor (0 / underflow)")
            ax.set_yscale("log")
            ax.set_xlim(0.4, MAX_DEPTH + 0.6)
            ax.set_xticks(positions)
            ax.set_xlabel("weight layer (1 = nearest the input)")
            ax.set_ylabel(r"$\|\partial L/\partial W\|_F$ (log scale)")
            ax.grid(axis="y", which="major", alpha=0.3)
            ax.yaxis.set_minor_locator(NullLocator())  # minor log ticks cost ~10 ms per draw
            self.legend = ax.legend(
                [self.bars.patches[0], self.bound_line, self.floor_line],
                [r"$\|\partial L/\partial W\|_F$", self.bound_line.get_label(), self.floor_line.get_label()],
                loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
            self.title = ax.set_title(" ")
            self.ax = ax
        # Lay out once (room for labels and legend at this font_scale), then freeze the
        # positions: a layout engine on every slider event would cost a redraw's worth.
        self.title.set_text("sigmoid, 10 layers: first/last = 1.2e-07")
        self.legend.texts[0].set_text(r"$\|\partial L/\partial W\|_F$ (sigmoid)")
        self.ax.set_ylim(1e-7, 10.0)
        self.figure.canvas.draw()
        self.figure.tight_layout()
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
        """Recompute and move the artists; returns the status text (empty when all is well)."""
        depth = int(min(max(int(depth), MIN_DEPTH), MAX_DEPTH))
        try:
            norms = self.compute(depth, activation, scale, seed)
            self.status = ""
        except Exception as error:  # noqa: BLE001 - the student's function may raise anything
            norms = None
            self.status = f"analyze_gradient_flow failed: {type(error).__name__}: {str(error)[:160]}"
        self.last_norms = norms
        colour = COLOURS.get(activation, COLOURS["sigmoid"])
        if norms is None:
            for bar in self.bars:
                bar.set_visible(False)
            self.bound_line.set_visible(False)
            self.title.set_text("no gradients to show (see the message below)")
            self._draw()
            return self.status
        finite_positive = norms[np.isfinite(norms) & (norms > 0)]
        top = float(finite_positive.max()) if finite_positive.size else 1.0
        floor = _floor_for(norms)
        bound = sigmoid_bound(norms[-1], depth) if activation == "sigmoid" and norms[-1] > 0 else None
        lowest = min([floor] + ([float(bound.min())] if bound is not None else []))
        heights, clipped = _display_values(norms, floor)
        for index, bar in enumerate(self.bars):
            if index < depth:
                bar.set_visible(True)
                bar.set_height(float(heights[index]))
                bar.set_facecolor(colour)
                bar.set_hatch("//" if clipped[index] else None)
            else:
                bar.set_visible(False)
        if bound is not None:
            self.bound_line.set_data(np.arange(1, depth + 1), np.maximum(bound, 1e-300))
            self.bound_line.set_visible(True)
        else:
            self.bound_line.set_visible(False)
        self.floor_line.set_ydata([floor, floor])
        self.floor_line.set_visible(bool(clipped.any()))
        bar_key, bound_key, floor_key = self.legend.legend_handles
        bar_key.set_facecolor(colour)
        self.legend.texts[0].set_text(rf"$\|\partial L/\partial W\|_F$ ({activation})")
        for key, text, shown in ((bound_key, self.legend.texts[1], bound is not None),
                                 (floor_key, self.legend.texts[2], bool(clipped.any()))):
            key.set_alpha(1.0 if shown else 0.25)
            text.set_alpha(1.0 if shown else 0.35)
        self.ax.set_ylim(max(min(lowest / 3.0, top / 100.0), 1e-300), top * 5.0)
        self.ax.set_xlim(0.4, depth + 0.6)
        if not finite_positive.size:
            self.title.set_text(f"{activation}, {depth} layers: every gradient is 0 (saturated output)")
        elif norms[-1] > 0:
            self.title.set_text(f"{activation}, {depth} layers: first/last = {norms[0] / norms[-1]:.2g}")
        else:
            self.title.set_text(f"{activation}, {depth} layers: the last layer's gradient is 0")
        if clipped.any():
            self.status = f"{int(clipped.sum())} layer(s) at zero or underflowing: drawn at the floor, hatched."
        self._draw()
        return self.status

    def _draw(self) -> None:
        self.figure.canvas.draw_idle()

    def png(self) -> bytes:
        """The current figure as PNG bytes (the fallback display without ipympl)."""
        return figure_png(self.figure)


def gradient_flow_explorer(analyze: Callable | None = None, *, font_scale: float = 1.0):
    """Sliders (depth 2–10, activation, init scale, seed) → per-layer gradient bars.

    ``analyze``: a function with the contract signature
    ``analyze(x, y, layer_sizes, activation=..., seed=...)`` returning per-layer norms,
    e.g. your ``analyze_gradient_flow``; ``None`` uses the ``tf.GradientTape`` oracle.
    ``font_scale`` enlarges the text (classroom projection).  Returns the ipywidgets
    container (its ``.explorer`` attribute is the :class:`GradientFlowExplorer`), or
    None while nbgrader grades.
    """
    if grading():
        return None
    import ipywidgets as widgets

    explorer = GradientFlowExplorer(analyze, font_scale=font_scale)
    style = {"description_width": "initial"}
    layout = widgets.Layout(width="320px")
    depth = widgets.IntSlider(value=5, min=MIN_DEPTH, max=MAX_DEPTH, description="depth (layers)",
                              style=style, layout=layout, continuous_update=False)
    activation = widgets.ToggleButtons(options=list(ACTIVATIONS), value="sigmoid", description="activation",
                                       style=style)
    scale = widgets.FloatSlider(value=1.0, min=SCALE_RANGE[0], max=SCALE_RANGE[1], step=0.05,
                                description="init scale", style=style, layout=layout,
                                continuous_update=False)
    seed = widgets.IntSlider(value=0, min=SEED_RANGE[0], max=SEED_RANGE[1], description="seed",
                             style=style, layout=layout, continuous_update=False)
    status = widgets.HTML(value="")

    # Each update ends with explorer._draw(): ipympl's draw_idle, or a PNG render into
    # a fixed-size image widget without ipympl.
    view, explorer._draw = figure_view(explorer.figure, widgets.Layout(width="774px", height="342px"))

    def on_change(_change=None) -> None:
        message = explorer.update(depth.value, activation.value, scale.value, seed.value)
        status.value = f"<span style='color:{PALETTE['vermillion']}'>{message}</span>" if message else ""

    for control in (depth, activation, scale, seed):
        control.observe(on_change, names="value")
    on_change()
    box = widgets.VBox([widgets.HBox([depth, seed]), widgets.HBox([activation, scale]), view, status])
    box.explorer = explorer
    box.controls = {"depth": depth, "activation": activation, "scale": scale, "seed": seed}
    return box
