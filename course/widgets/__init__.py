"""Sliders and plots for the notebooks and the classroom demo.

Each public helper builds its figure once, returns an ipywidgets container (the caller
displays it), and updates artists in place when a slider moves.  Under nbgrader
(``NBGRADER_EXECUTION`` set) every helper returns ``None`` and draws nothing, so
grading never pays for plotting and never sees widget output.

- ``sigmoid``        – notebook 1's sigmoid explorer;
- ``verification``   – notebook 2's gradient table and computation-graph explorer;
- ``gradient_flow``  – notebook 3's gradient-norm plot and depth/activation explorer;
- ``classroom``      – the classroom dashboard's pieces (``demos/``, served by Voila).
"""
