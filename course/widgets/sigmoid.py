"""Notebook 1's sigmoid explorer: a z slider moving along σ(z) and σ'(z).

The figure is built once; moving the slider only moves two markers, a vertical guide
and the text readout (``set_data`` + ``draw_idle``).  With the ipympl backend
(``%matplotlib widget``) the figure canvas is itself the widget; with any other backend
(Agg in tests, inline) the figure is rendered into an ``ipywidgets.Image`` instead, so
the explorer works — more slowly — without ipympl too.
"""

from __future__ import annotations

import numpy as np

from ..oracles.two_layer import sigmoid_reference as _sigmoid
from ._env import PALETTE, figure_view, grading, new_figure

__all__ = ["sigmoid_explorer", "Z_LIMIT"]

Z_LIMIT = 10.0  # the slider covers [-Z_LIMIT, Z_LIMIT]; σ' there is ~4.5e-5


def _readout(z: float) -> str:
    s = float(_sigmoid(z))
    d = s * (1.0 - s)
    return (f"<b>z = {z:+.2f}</b> &nbsp; σ(z) = {s:.4f} &nbsp; σ'(z) = σ(z)·(1 − σ(z)) = {d:.4g}"
            f" &nbsp; ({d / 0.25:.0%} of the maximum)")


def sigmoid_explorer(z: float = 0.6, *, font_scale: float = 1.0):
    """A slider for z that shows σ(z) and its derivative σ'(z) = σ(z)(1 − σ(z)).

    Both curves are drawn for z in [-Z_LIMIT, Z_LIMIT]; markers and a readout follow
    the slider; the derivative's maximum, 0.25 at z = 0, is marked.  Returns an
    ``ipywidgets.VBox`` (slider, readout, figure), or ``None`` while nbgrader grades.
    The VBox carries ``.slider``, ``.readout`` and ``.figure`` for programmatic use.
    """
    if grading():
        return None
    import ipywidgets as widgets

    z = float(np.clip(z, -Z_LIMIT, Z_LIMIT))
    figure = new_figure(6.4, 3.4, font_scale=font_scale)
    axes = figure.add_subplot()
    grid = np.linspace(-Z_LIMIT, Z_LIMIT, 801)
    s_grid = _sigmoid(grid)
    axes.plot(grid, s_grid, color=PALETTE["blue"], lw=2, label="σ(z)")
    axes.plot(grid, s_grid * (1 - s_grid), color=PALETTE["orange"], lw=2, ls="--",
              label="σ'(z) = σ(z)·(1 − σ(z))")
    axes.axhline(0.25, color=PALETTE["green"], lw=1, ls=":")
    axes.plot([0.0], [0.25], marker="D", ms=7, color=PALETTE["green"], ls="none",
              label="maximum of σ': 0.25 at z = 0")
    s = float(_sigmoid(z))
    (value_marker,) = axes.plot([z], [s], "o", ms=9, color=PALETTE["blue"])
    (slope_marker,) = axes.plot([z], [s * (1 - s)], "s", ms=8, color=PALETTE["vermillion"])
    guide = axes.axvline(z, color="0.4", lw=1)
    axes.set_xlim(-Z_LIMIT, Z_LIMIT)
    axes.set_ylim(-0.03, 1.05)
    axes.set_xlabel("pre-activation z")
    axes.set_ylabel("σ(z) and σ'(z)")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize="small", framealpha=0.9)
    figure.tight_layout()

    slider = widgets.FloatSlider(value=z, min=-Z_LIMIT, max=Z_LIMIT, step=0.1, description="z",
                                 continuous_update=True, readout_format="+.1f",
                                 layout=widgets.Layout(width="min(640px, 100%)"))
    readout = widgets.HTML(_readout(z))

    view, redraw = figure_view(figure, widgets.Layout(width="min(640px, 100%)"))
    redraw()

    def update(change: dict) -> None:
        z_now = float(change["new"])
        s_now = float(_sigmoid(z_now))
        value_marker.set_data([z_now], [s_now])
        slope_marker.set_data([z_now], [s_now * (1 - s_now)])
        guide.set_xdata([z_now, z_now])
        readout.value = _readout(z_now)
        redraw()

    slider.observe(update, names="value")
    box = widgets.VBox([slider, readout, view])
    box.slider, box.readout, box.figure = slider, readout, figure
    return box
