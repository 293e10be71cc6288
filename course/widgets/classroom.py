"""The classroom dashboard's pieces (``demos/backprop_explorer.ipynb``, served by Voila).

The dashboard shows a *working* network without containing a hand-written backward
pass (that is the students' exercise): :func:`reference_functions` wraps the float64
oracles of :mod:`course.oracles.two_layer` — closed-form forward values and
central-difference gradients — in the function contract of notebook 2, so the same
:func:`course.widgets.verification.verification_explorer` can draw them.
"""

from __future__ import annotations

from typing import Callable

from ..oracles import two_layer

__all__ = ["reference_functions", "CLASSROOM_CSS"]

# Readable from the back of a room: large labels and readouts for every widget.
CLASSROOM_CSS = """<style>
.widget-label, .widget-readout, .widget-toggle-buttons button, .widget-inline-hbox label {
    font-size: 20px !important; line-height: 28px !important; }
.widget-slider .noUi-handle { width: 22px !important; height: 22px !important; }
.jp-RenderedHTMLCommon h1 { font-size: 2.4em; } .jp-RenderedHTMLCommon h2 { font-size: 1.8em; }
.jp-RenderedHTMLCommon p { font-size: 1.3em; }
</style>"""


def reference_functions() -> tuple[Callable, Callable, Callable, Callable]:
    """``(sigmoid, forward_pass, binary_cross_entropy, backward_pass)`` from the oracles.

    Scalars in, Python floats out, with the signatures of notebook 2's contract.
    """

    def sigmoid(z):
        return two_layer.sigmoid_reference(z)

    def forward_pass(x, W1, b1, W2, b2):
        values = two_layer.forward_reference(x, W1, b1, W2, b2)
        return tuple(float(values[key][0]) for key in ("z1", "a1", "z2", "y_pred"))

    def binary_cross_entropy(y_true, y_pred):
        return float(two_layer.bce_reference(y_true, y_pred)[0])

    def backward_pass(x, y, z1, a1, z2, y_pred, W1, b1, W2, b2):
        numeric = two_layer.central_difference(x=x, y=y, W1=W1, b1=b1, W2=W2, b2=b2)
        return {key: float(numeric[key][0])
                for key in ("dy_pred", "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1")}

    return sigmoid, forward_pass, binary_cross_entropy, backward_pass
