"""Shared plumbing for the slider helpers: grading detection, figures, palette."""

from __future__ import annotations

import io
import os

__all__ = ["grading", "new_figure", "figure_view", "figure_png", "PALETTE"]

# Okabe–Ito: distinguishable with every common colour-vision deficiency.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}


def grading() -> bool:
    """True while nbgrader validates or autogrades: helpers then render nothing."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def new_figure(width: float, height: float, *, font_scale: float = 1.0):
    """A matplotlib figure that is not shown automatically.

    With the ipympl backend (``%matplotlib widget``) ``figure.canvas`` is an ipywidget
    to place in a layout; with any other backend (tests, Agg) it is a plain canvas.
    ``font_scale`` enlarges every text element (classroom projection uses 1.6).
    Returns the ``matplotlib.figure.Figure``.
    """
    import matplotlib.pyplot as plt

    with plt.ioff(), plt.rc_context({"font.size": 10 * font_scale}):
        figure = plt.figure(figsize=(width, height))
    canvas = figure.canvas
    # ipympl canvases show a toolbar and header by default; sliders are the interface.
    for attribute, value in (("toolbar_visible", False), ("header_visible", False),
                             ("footer_visible", False), ("resizable", False)):
        if hasattr(canvas, attribute):
            setattr(canvas, attribute, value)
    return figure


def figure_png(figure, dpi: int = 90) -> bytes:
    """``figure`` rendered as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def figure_view(figure, layout):
    """``(view, redraw)`` for showing ``figure`` in a widget layout.

    With ipympl the canvas is itself the widget and ``redraw`` is its ``draw_idle``.
    With any other backend (Agg in tests, inline) the figure is rendered into an
    ``ipywidgets.Image`` with ``layout``, ``redraw`` re-renders it, and the figure is
    closed in pyplot so the inline backend does not show a second, static copy.
    """
    import ipywidgets as widgets

    canvas = figure.canvas
    if isinstance(canvas, widgets.DOMWidget):
        return canvas, canvas.draw_idle
    import matplotlib.pyplot as plt

    plt.close(figure)
    view = widgets.Image(format="png", layout=layout)

    def redraw() -> None:
        view.value = figure_png(figure)

    return view, redraw
