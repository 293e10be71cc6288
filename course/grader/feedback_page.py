"""How the feedback HTML looks: nbgrader preprocessors for ``generate_feedback``.

- :class:`UnmarkedTasks` — a part marked by hand that nobody has marked yet is shown
  as "not marked yet" instead of nbgrader's "Score: 0.0 / 3.0", and a note at the top
  says how many points are still to be marked.
- :class:`FeedbackStyle` — long lines of test output (a ✗ line with expected and got
  values) wrap instead of running off the right edge.

MathJax for the same pages comes from ``share/jupyter/nbconvert/templates/base/
mathjax.html.j2`` (see ``nbgrader_config.py``): served by the Jupyter server itself, so
math renders without internet.
"""

from __future__ import annotations

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["UnmarkedTasks", "FeedbackStyle", "WRAP_CSS"]

WRAP_CSS = """
div.output_area pre, div.output_subarea pre, div.output_text pre {
    white-space: pre-wrap; overflow-wrap: anywhere; }
"""


class UnmarkedTasks(NbGraderPreprocessor):
    """Runs after ``GetGrades`` and ``ClearMarkScheme``: parts marked by hand that still need marking lose their
    score panel (which would read 0.0) and say "not marked yet"; a note on top counts them."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        pending = 0.0
        with Gradebook(info["db_url"]) as gradebook:
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if not (meta.get("task") or (meta.get("grade") and cell.cell_type == "markdown")):
                    continue
                try:
                    grade = gradebook.find_grade(meta["grade_id"], info["notebook"], info["assignment"],
                                                 info["student"])
                except MissingEntry:
                    continue
                if grade.manual_score is None and grade.needs_manual_grade:
                    pending += float(grade.max_score or 0)
                    meta["task"] = meta["grade"] = meta["solution"] = False  # no "Score: 0.0 / n" panel
                    cell.source = (f"*Not marked yet: {grade.max_score:g} points, marked by hand.*\n\n"
                                   + cell.source)
        if pending:
            note = nbformat.v4.new_markdown_cell(
                f"**{pending:g} points of this notebook are marked by hand and not marked yet**; "
                "the score above counts what has been marked so far.")
            nb.cells.insert(0, note)
        return nb, resources


class FeedbackStyle(NbGraderPreprocessor):
    """Adds :data:`WRAP_CSS` to the page's inline styles (after ``CSSHTMLHeaderPreprocessor``)."""

    def preprocess(self, nb, resources):
        resources.setdefault("inlining", {}).setdefault("css", []).append(WRAP_CSS)
        return nb, resources
