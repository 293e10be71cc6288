"""Sliders and plots for the notebooks and the classroom demo.

Each explorer returns an ipywidgets container (the caller displays it) whose picture is
an SVG in an ``ipywidgets.HTML`` (:mod:`course.widgets.svg`): a slider event formats
new numbers into the SVG text and the browser draws it, the same in JupyterLab, Voila
and an exported notebook.  Under nbgrader (``NBGRADER_EXECUTION`` set) every explorer
returns ``None`` and draws nothing, so grading never pays for plotting and never sees
widget output.  The one static plot (notebook 3's task 3.2) is a matplotlib PNG.
"""
