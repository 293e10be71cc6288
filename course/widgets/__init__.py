"""Sliders and plots for the notebooks and the classroom demo.

Each explorer returns an ipywidgets container (the caller displays it) whose picture is
an SVG in an ``ipywidgets.HTML`` (:mod:`course.widgets.svg`): a slider event formats
new numbers into the SVG text and the browser draws it, the same in JupyterLab, Voila
and an exported notebook.  Under nbgrader (``NBGRADER_EXECUTION`` set) every explorer
returns ``None`` and draws nothing, so grading never pays for plotting and never sees
widget output.  The one static plot (notebook 3's task 3.2) is a matplotlib PNG.

- ``sigmoid``        – notebook 1's sigmoid explorer;
- ``verification``   – notebook 2's gradient table and computation-graph explorer;
- ``gradient_flow``  – notebook 3's gradient-norm plot and depth/activation explorer;
- ``classroom``      – the classroom dashboard's pieces (``demos/``, served by Voila);
- ``svg``            – the SVG drawing the explorers share.
"""
