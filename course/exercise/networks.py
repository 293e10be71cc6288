"""The given deep-network initialisation of notebook 3 (read-only for students).

Convention — **column vectors**, one sample at a time:

- ``layer_sizes = [n_0, n_1, ..., n_L]`` lists the width of every layer, the input
  first and the output last; the network has ``L = len(layer_sizes) - 1`` weight
  layers and ``n_L`` must be 1 (one sigmoid output unit, binary cross-entropy loss).
- Layer ``l`` (``l = 0`` nearest the input) has ``W`` of shape ``(n_{l+1}, n_l)`` and
  ``b`` of shape ``(n_{l+1},)``, and computes ``z = W @ a + b`` from the 1-D activation
  ``a`` of shape ``(n_l,)`` (``a = x`` for ``l = 0``).

Graders rebuild exactly the same weights from ``(layer_sizes, seed)``, so a student's
``analyze_gradient_flow`` must build its network with :func:`init_params`.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import numpy as np

# As they were before any student cell ran (course/kernel/pristine.py): rebinding
# np.random.default_rng later cannot change the weights the graders rebuild.
from course.kernel.pristine import default_rng as _default_rng
from course.kernel.pristine import np_sqrt as _standard_sqrt
from course.kernel.pristine import np_zeros as _zeros

__all__ = [
    "init_params",
    "init_scale",
    "DEMO_LAYER_SIZES",
    "DEMO_X",
    "DEMO_Y",
]

# The 5-layer network of the plotting task and of the seeded phenomenon check.
DEMO_LAYER_SIZES: tuple[int, ...] = (4, 16, 16, 16, 16, 1)
DEMO_X: np.ndarray = np.array([1.0, -0.5, 0.25, 0.8])
DEMO_Y: float = 1.0
DEMO_X.setflags(write=False)

_default_scale = 1.0


def init_params(layer_sizes: Sequence[int], seed: int = 0, scale: float | None = None):
    """Random weights and zero biases for a fully connected network.

    Parameters
    ----------
    layer_sizes : sequence of int, e.g. ``[4, 16, 16, 16, 16, 1]``
        widths from the input (first) to the output (last); at least two entries.
    seed : int
        seed of ``numpy.random.default_rng``; the same ``(layer_sizes, seed)`` always
        gives the same weights.
    scale : float, optional
        multiplies every weight (default 1.0).  Leave it out in your own code: the
        explorer changes it through :func:`init_scale`.

    Returns
    -------
    list of ``(W, b)`` tuples, one per weight layer, index 0 nearest the input:
    ``W`` float64 of shape ``(layer_sizes[l+1], layer_sizes[l])`` drawn from a normal
    distribution with standard deviation ``scale * sqrt(2 / layer_sizes[l])`` (He
    initialisation, the usual choice for ReLU networks), ``b`` float64 zeros of shape
    ``(layer_sizes[l+1],)``.  Layer ``l`` computes ``z = W @ a + b``.
    """
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes needs at least two positive widths, got {list(layer_sizes)!r}")
    factor = float(_default_scale if scale is None else scale)
    rng = _default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = rng.standard_normal((n_out, n_in)) * (factor * float(_standard_sqrt(2.0 / n_in)))
        b = _zeros(n_out)
        params.append((W, b))
    return params


@contextlib.contextmanager
def init_scale(scale: float) -> Iterator[None]:
    """Within ``with init_scale(s):`` every :func:`init_params` call without an explicit
    ``scale`` multiplies its weights by ``s``.

    This is how the gradient-flow explorer varies the initialisation while calling the
    student's own ``analyze_gradient_flow(x, y, layer_sizes, activation, seed)``, whose
    signature has no scale argument.  Graders always pass ``scale=1.0`` explicitly.
    """
    global _default_scale
    previous = _default_scale
    _default_scale = float(scale)
    try:
        yield
    finally:
        _default_scale = previous
