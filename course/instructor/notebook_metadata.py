"""``generate_assignment``: the released notebook says what the environment's kernel will say.

When JupyterLab connects a notebook to its kernel it writes the kernel's ``language_info``
(name, Python version, lexer, ...) into the notebook's metadata; a notebook whose metadata
says less is then *modified* before the student typed anything.  Released with the
``language_info`` of the environment's own IPython kernel, an untouched notebook opens
unmodified wherever that environment runs it (the course's JupyterHub: the instructor's
release and the students' kernels share one environment).  Only the Python version differs
between machines.
"""

from __future__ import annotations

import copy

from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["KernelLanguageInfo", "kernel_language_info"]


def kernel_language_info() -> dict:
    """The ``language_info`` an IPython kernel of this Python reports in its kernel info."""
    from ipykernel.ipkernel import IPythonKernel

    return copy.deepcopy(IPythonKernel.language_info)


class KernelLanguageInfo(NbGraderPreprocessor):
    """Write :func:`kernel_language_info` into the notebook's metadata."""

    def preprocess(self, nb, resources):
        nb.metadata["language_info"] = kernel_language_info()
        return nb, resources
