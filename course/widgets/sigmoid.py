"""Notebook 1's sigmoid explorer: a z slider moving along σ(z) and σ'(z).

The picture is an SVG (see :mod:`course.widgets.svg` for why): the two curves, axes
and legend are formatted once into a template; moving the slider only fills in the
positions of two markers, a vertical guide and the text readout.
"""

from __future__ import annotations

import numpy as np

from course.widgets import svg
from course.widgets._env import PALETTE, grading

__all__ = ["sigmoid_explorer", "SigmoidPicture", "Z_LIMIT", "START_Z"]


def _sigmoid(z):
    """Float64 σ of any shape, without overflow (σ(z) = exp(−softplus(−z)))."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))

Z_LIMIT = 10.0  # the slider covers [-Z_LIMIT, Z_LIMIT]; σ' there is ~4.5e-5
Y_RANGE = (-0.03, 1.05)
# SVG user units at font_scale 1: the whole picture and the plotting area inside it.
_VIEW_W, _VIEW_H = 640, 340
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 624, 14, 286


# The explorer opens here: not the exercise's z1, and not where σ' peaks (reflection
# question 1 asks for that maximum; the student finds it by moving the slider).
START_Z = -2.0


def _readout(z: float) -> str:
    s = float(_sigmoid(z))
    d = s * (1.0 - s)
    return f"<b>z = {z:+.2f}</b> &nbsp; σ(z) = {s:.4f} &nbsp; σ'(z) = σ(z)·(1 − σ(z)) = {d:.4g}"


class SigmoidPicture:
    """σ(z) and σ'(z) for z in [-Z_LIMIT, Z_LIMIT] with markers at one z, as SVG text.

    ``draw(z)`` returns the SVG with the markers at ``z``: a circle on σ(z), a square on
    σ'(z) and a vertical guide through z.
    """

    def __init__(self, font_scale: float = 1.0):
        s = float(font_scale)
        self.font_scale = s
        self.x = svg.LinearScale(-Z_LIMIT, Z_LIMIT, _LEFT, _RIGHT)
        self.y = svg.LinearScale(*Y_RANGE, _BOTTOM, _TOP)

        def n(value: float) -> str:
            return svg.num(value * s)

        self._n = n
        grid = np.linspace(-Z_LIMIT, Z_LIMIT, 241)
        values = _sigmoid(grid)

        def curve(ys) -> str:
            return " ".join(f"{n(self.x(z))},{n(self.y(v))}" for z, v in zip(grid, ys))

        t = svg.Template()
        t.static(svg.svg_open(_VIEW_W * s, _VIEW_H * s, "The sigmoid σ(z) and its derivative σ'(z), "
                              "with markers at the slider's z"))
        t.static('<rect width="100%" height="100%" fill="#FFFFFF"/>')
        for tick in range(-10, 11, 5):
            at = self.x(tick)
            t.static(f'<line x1="{n(at)}" x2="{n(at)}" y1="{n(_TOP)}" y2="{n(_BOTTOM)}" stroke="#E3E3E3"/>'
                     f'<text x="{n(at)}" y="{n(_BOTTOM + 18)}" font-size="{n(12)}" text-anchor="middle">'
                     f'{tick:g}</text>'.replace(">-", ">−"))  # a true minus sign
        for tick in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
            at = self.y(tick)
            t.static(f'<line x1="{n(_LEFT)}" x2="{n(_RIGHT)}" y1="{n(at)}" y2="{n(at)}" stroke="#E3E3E3"/>'
                     f'<text x="{n(_LEFT - 6)}" y="{n(at + 4)}" font-size="{n(12)}" text-anchor="end">'
                     f'{tick:g}</text>')
        t.static(f'<polyline class="sigma" points="{curve(values)}" fill="none" stroke="{PALETTE["blue"]}" '
                 f'stroke-width="{n(2)}"/>')
        t.static(f'<polyline class="sigma-prime" points="{curve(values * (1 - values))}" fill="none" '
                 f'stroke="{PALETTE["orange"]}" stroke-width="{n(2)}" stroke-dasharray="{n(7)} {n(4)}"/>')
        t.static(f'<path d="M{n(_LEFT)},{n(_TOP)} V{n(_BOTTOM)} H{n(_RIGHT)}" fill="none" stroke="#262626"/>'
                 f'<text x="{n((_LEFT + _RIGHT) / 2)}" y="{n(_BOTTOM + 42)}" font-size="{n(13)}" '
                 f'text-anchor="middle">pre-activation z</text>'
                 f'<text transform="translate({n(18)},{n((_TOP + _BOTTOM) / 2)}) rotate(-90)" '
                 f'font-size="{n(13)}" text-anchor="middle">σ(z) and σ′(z)</text>')
        legend = [(f'<line x1="0" x2="{n(24)}" y1="0" y2="0" stroke="{PALETTE["blue"]}" stroke-width="{n(2)}"/>',
                   "σ(z)"),
                  (f'<line x1="0" x2="{n(24)}" y1="0" y2="0" stroke="{PALETTE["orange"]}" stroke-width="{n(2)}" '
                   f'stroke-dasharray="{n(7)} {n(4)}"/>', "σ′(z) = σ(z)·(1 − σ(z))")]
        t.static(f'<g class="legend" transform="translate({n(_LEFT + 12)},{n(_TOP + 8)})">'
                 f'<rect x="{n(-6)}" y="{n(-2)}" width="{n(196)}" height="{n(46)}" fill="#FFFFFF" '
                 f'fill-opacity="0.9" stroke="#BFBFBF"/>')
        for row, (key, label) in enumerate(legend):
            t.static(f'<g transform="translate(0,{n(12 + row * 20)})">{key}'
                     f'<text x="{n(32)}" y="{n(4.5)}" font-size="{n(12)}">{svg.text(label)}</text></g>')
        t.static("</g>")
        t.slot("markers")
        t.static("</svg>")
        self._template = t

    def draw(self, z: float) -> str:
        """The SVG with the markers at ``z`` (clipped to the axis)."""
        n = self._n
        z = float(np.clip(z, -Z_LIMIT, Z_LIMIT))
        value = float(_sigmoid(z))
        at, on_value, on_slope = self.x(z), self.y(value), self.y(value * (1.0 - value))
        markers = (
            f'<line class="guide" x1="{n(at)}" x2="{n(at)}" y1="{n(_TOP)}" y2="{n(_BOTTOM)}" stroke="#666666"/>'
            f'<circle class="value-marker" data-z="{z:g}" cx="{n(at)}" cy="{n(on_value)}" r="{n(6)}" '
            f'fill="{PALETTE["blue"]}"/>'
            f'<rect class="slope-marker" x="{n(at - 5.5)}" y="{n(on_slope - 5.5)}" width="{n(11)}" '
            f'height="{n(11)}" fill="{PALETTE["vermillion"]}"/>'
        )
        return self._template.render({"markers": markers})


def sigmoid_explorer(z: float = START_Z, *, font_scale: float = 1.0):
    """A slider for z that shows σ(z) and its derivative σ'(z) = σ(z)(1 − σ(z)).

    Both curves are drawn for z in [-Z_LIMIT, Z_LIMIT]; markers and a readout follow
    the slider.  Returns an
    ``ipywidgets.VBox`` (slider, readout, picture), or ``None`` while nbgrader grades.
    The VBox carries ``.slider``, ``.readout``, ``.view`` (the ``HTML`` widget holding
    the SVG) and ``.picture`` (the :class:`SigmoidPicture`) for programmatic use.
    """
    if grading():
        return None
    import ipywidgets as widgets

    z = float(np.clip(z, -Z_LIMIT, Z_LIMIT))
    picture = SigmoidPicture(font_scale)
    slider = widgets.FloatSlider(value=z, min=-Z_LIMIT, max=Z_LIMIT, step=0.1, description="z",
                                 continuous_update=True, readout_format="+.1f",
                                 layout=widgets.Layout(width=f"min({_VIEW_W * font_scale:g}px, 100%)"))
    readout = widgets.HTML(_readout(z))
    view = widgets.HTML(picture.draw(z), layout=widgets.Layout(width="100%"))

    def update(change: dict) -> None:
        z_now = float(change["new"])
        readout.value = _readout(z_now)
        view.value = picture.draw(z_now)

    slider.observe(update, names="value")
    box = widgets.VBox([slider, readout, view])
    box.slider, box.readout, box.view, box.picture = slider, readout, view, picture
    return box
