"""Shared plumbing for the slider helpers: grading detection, figures, palette."""

from __future__ import annotations

import os

__all__ = ["grading", "new_figure", "PALETTE"]

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
