"""Notice automatic differentiation while a student's function runs.

A manual backward pass must not hand its work to a library's autodiff, but what the code
is *called* proves nothing: a numpy engine may keep ``self.gradients``, a helper may be
named ``gradient_norms``.  So nothing here reads names.  :func:`watching_autodiff` installs
a profile hook (:func:`sys.setprofile`) for the duration of one call and records every
entry into the machinery itself — the Python functions that start a tape or compute a
gradient in TensorFlow, PyTorch, JAX or HIPS autograd, the C functions underneath them,
and the course's own oracles.  Functions are recognised by the file and qualified name of
the code object that runs, so an alias (``from tensorflow import GradientTape as T``),
a subclass, a method captured before the check, or a wrapper in the student's notebook
(``verify_with_tensorflow``) is seen just the same.

Known limit: a ``tf.function`` traced *before* the check and called with the same
tensor shapes runs a finished graph without re-entering Python; the checks pass Python
floats (notebook 2), which make ``tf.function`` trace again.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Iterator

__all__ = ["AutodiffWatch", "watching_autodiff", "describe_calls"]

# File (relative to site-packages) -> {qualified name: what the student is told}.  A
# qualified name also matches the functions defined inside it ("grad.<locals>.grad_f"),
# so a transformation built before the check (df = jax.grad(f)) is caught when called.
# ``None`` as the table means every function of that file.
_ENTRY_POINTS: dict[str, dict[str, str] | None] = {
    "tensorflow/python/eager/backprop.py": {
        "GradientTape.__enter__": "tf.GradientTape (entering the tape)",
        "GradientTape.gradient": "tf.GradientTape.gradient",
        "GradientTape.jacobian": "tf.GradientTape.jacobian",
        "GradientTape.batch_jacobian": "tf.GradientTape.batch_jacobian",
    },
    "tensorflow/python/ops/gradients_impl.py": {
        "gradients": "tf.gradients", "gradients_v2": "tf.gradients",
        "hessians": "tf.hessians", "HessiansV2": "tf.hessians",
    },
    "tensorflow/python/eager/forwardprop.py": {
        "ForwardAccumulator.__enter__": "tf.autodiff.ForwardAccumulator",
    },
    "torch/_tensor.py": {"Tensor.backward": "torch.Tensor.backward"},
    "torch/autograd/__init__.py": {"backward": "torch.autograd.backward", "grad": "torch.autograd.grad"},
    "torch/autograd/functional.py": None,
    "torch/_functorch/eager_transforms.py": {
        name: f"torch.func.{name}" for name in ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd")
    },
    "jax/_src/api.py": {
        name: f"jax.{name}" for name in ("grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev",
                                         "hessian", "linearize")
    },
    "autograd/differential_operators.py": None,
}
# C functions underneath (a student could call them directly, bypassing the Python API).
_C_ENTRY_PREFIXES = ("TFE_Py_TapeSetNew", "TFE_Py_TapeGradient", "TFE_Py_ForwardAccumulatorNew",
                     "_run_backward", "run_backward")
_C_MODULES = ("tensorflow", "torch", "jax")

# The course's own reference gradients: a backward pass that calls them copies the answer.
# (The oracles that use a tape are caught by the TensorFlow entries as well.)
_ORACLES = Path(__file__).resolve().parents[1] / "oracles"
_ORACLE_GRADIENTS = ("central_difference", "tf_reference", "gradients", "gradient_norms", "reference_analyze")

_NOT_AUTODIFF = ""


def _label_for_file(filename: str, qualname: str) -> str:
    normalised = filename.replace("\\", "/")
    if normalised.startswith(str(_ORACLES)):
        function = qualname.split(".<locals>")[0]
        if function in _ORACLE_GRADIENTS:
            return f"the course's reference gradients course.oracles.{Path(normalised).stem}.{function}"
        return _NOT_AUTODIFF
    for suffix, names in _ENTRY_POINTS.items():
        if not normalised.endswith("/" + suffix):
            continue
        if names is None:
            package = suffix.split("/")[0]
            return f"{package}'s {qualname.split('.<locals>')[0]}"
        for name, label in names.items():
            if qualname == name or qualname.startswith(name + ".<locals>"):
                return label
    return _NOT_AUTODIFF


class AutodiffWatch:
    """What one watched call ran: ``calls`` (labels, first occurrence first) and
    ``switched_off`` (the student's code removed the profile hook)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.switched_off = False
        self._labels: dict[object, str] = {}

    @property
    def used(self) -> bool:
        return bool(self.calls) or self.switched_off

    def _record(self, label: str, frame) -> None:
        # Name the notebook function the call came through (e.g. verify_with_tensorflow),
        # which tells the student where to look.
        via = None
        while frame is not None:
            if frame.f_globals.get("__name__") == "__main__":
                via = frame.f_code.co_name
                break
            frame = frame.f_back
        text = label if via in (None, "<module>") else f"{label}, called from {via}"
        if text not in self.calls:
            self.calls.append(text)

    def hook(self, frame, event, arg) -> None:
        """The profile function: look up each Python call by its code object, each C call by name."""
        if event == "call":
            code = frame.f_code
            label = self._labels.get(code)
            if label is None:
                label = self._labels[code] = _label_for_file(code.co_filename, code.co_qualname)
            if label:
                self._record(label, frame.f_back)
        elif event == "c_call" and not self.calls:  # the C layer matters only when the Python API was bypassed
            name = getattr(arg, "__name__", "")
            if name.startswith(_C_ENTRY_PREFIXES):
                owner = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__
                if str(owner).startswith(_C_MODULES):
                    self._record(f"{owner}.{name}", frame)


@contextlib.contextmanager
def watching_autodiff() -> Iterator[AutodiffWatch]:
    """Record automatic differentiation run inside the ``with`` block (this thread only).

    The previous profile function (a debugger's, say) is restored afterwards.  If the
    code inside removed or replaced the hook, ``switched_off`` is set: the grader cannot
    vouch for what ran after that.
    """
    watch = AutodiffWatch()
    hook = watch.hook  # one bound method, so the identity test below means something
    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield watch
    finally:
        if sys.getprofile() is not hook:
            watch.switched_off = True
        sys.setprofile(previous)


def describe_calls(watch: AutodiffWatch) -> str:
    """One line for feedback: what ran, e.g. ``tf.GradientTape.gradient, called from helper``."""
    parts = list(watch.calls[:3])
    if watch.switched_off:
        parts.append("it switched off the grader's monitor (sys.setprofile)")
    return "; ".join(parts)
