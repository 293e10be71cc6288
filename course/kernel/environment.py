"""The environment of every kernel the course starts, in one place.

TensorFlow's C++ logging goes to the kernel's stderr, and nbgrader gives zero to a test
cell that writes to stderr.  So every kernel that may import TensorFlow — a student's
in JupyterLab or on the hub, nbgrader's grading kernels, the kernels the tests and the
benchmark start — gets :data:`QUIET_TENSORFLOW`; grading kernels also get the rest of
:data:`GRADING` (no deprecation chatter, no GUI backend).

Python code applies them with :func:`set_defaults` (a value already in the environment
wins, so a developer can still turn TensorFlow's logs on); ``import course`` applies
:data:`QUIET_TENSORFLOW`, so a notebook that imports the course before TensorFlow is quiet
in any Jupyter.  The places that cannot
import this module repeat :data:`QUIET_TENSORFLOW` — the Makefile's exports and the
hub's spawner environment (``deploy/``) — and ``tests/project/test_codebase.py`` keeps them
equal to it (and checks that every notebook imports ``course`` before TensorFlow).
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator, Mapping, MutableMapping

__all__ = ["QUIET_TENSORFLOW", "GRADING", "set_defaults", "overridden"]

QUIET_TENSORFLOW: Mapping[str, str] = {
    "TF_CPP_MIN_LOG_LEVEL": "3",      # C++ logging: errors only
    "TF_ENABLE_ONEDNN_OPTS": "0",     # no "oneDNN custom operations are on" notice
}

GRADING: Mapping[str, str] = {
    **QUIET_TENSORFLOW,
    "PYTHONWARNINGS": "ignore::DeprecationWarning",  # a library's deprecation notice is not the student's
    "MPLBACKEND": "agg",                             # plots render to images; no GUI in a grading kernel
}


def set_defaults(variables: Mapping[str, str] = QUIET_TENSORFLOW,
                 environ: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Set each of ``variables`` in ``environ`` (default ``os.environ``) unless already set.

    Kernels inherit the environment of the process that starts them, so call this before
    the first kernel starts (or before the first ``import tensorflow``).  Returns ``environ``.
    """
    environ = os.environ if environ is None else environ
    for name, value in variables.items():
        environ.setdefault(name, value)
    return environ


@contextlib.contextmanager
def overridden(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the duration, then put back what was there
    (a variable that was unset is unset again); other variables are left alone."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
