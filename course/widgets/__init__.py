"""Sliders and plots for the notebooks and the classroom demo.

Each public helper builds its figure once, returns an ipywidgets container (the caller
displays it), and updates artists in place when a slider moves.  Under nbgrader
(``NBGRADER_EXECUTION`` set) every helper returns ``None`` and draws nothing, so
grading never pays for plotting and never sees widget output.
"""
