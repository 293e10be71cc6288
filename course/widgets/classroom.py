"""The classroom page's styling (``demos/backprop_explorer.ipynb``, served by Voila).

The page shows the two explorers without student code: notebook 2's computation graph
with the float64 reference alone (``verification_explorer(reference=central_difference)``,
no student functions) and notebook 3's gradient bars from the ``tf.GradientTape`` oracle
(``gradient_flow_explorer(reference_analyze)``).  The page passes those references in from
``course.oracles`` (instructor side): the widgets themselves hold no oracle.  Neither
contains a hand-written backward pass, and both open away from the exercise's worked
example (their ``START`` values).
"""

from __future__ import annotations

__all__ = ["CLASSROOM_CSS", "CLASSROOM_FONT_SCALE"]

# Readable from the back of a room: every picture's text 1.6 times its notebook size.
CLASSROOM_FONT_SCALE = 1.6

# Large labels and readouts for every widget.
CLASSROOM_CSS = """<style>
.widget-label, .widget-readout, .widget-toggle-buttons button, .widget-inline-hbox label {
    font-size: 20px !important; line-height: 28px !important; }
.widget-slider .noUi-handle { width: 22px !important; height: 22px !important; }
.jp-RenderedHTMLCommon h1 { font-size: 2.4em; } .jp-RenderedHTMLCommon h2 { font-size: 1.8em; }
.jp-RenderedHTMLCommon p { font-size: 1.3em; }
</style>"""
