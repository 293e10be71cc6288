"""Shared plumbing for the slider helpers: grading detection, PNG rendering, palette."""

from __future__ import annotations

import io
import os

__all__ = ["grading", "figure_png", "PALETTE"]

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


def figure_png(figure, dpi: int = 90) -> bytes:
    """A matplotlib ``figure`` rendered as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
