"""The per-student values stay what they were when course.exercise.values depended on the checks.

``RECORDED_DERIVED`` and ``RECORDED_POOR`` were recorded with the code of commit a892c22
(course.exercise.values' good-exercise filter then read course.checks.paper's rules), before
course.exercise.values became self-contained: the same student, course and salt must keep the
same values, and the filter the same verdict on a spread of the grid.  The grader
(course.checks.paper) names exactly the filter's misconceptions (course.exercise.values' table).
"""

from __future__ import annotations

import math
import random

import pytest

from course.exercise import values
from course.checks import paper

RECORDED_DERIVED = {
    ('backprop-by-hand', ''): [
        (0.5, 1.0, -0.8, 0.2, -1.0, -0.3),
        (0.5, 1.0, -0.9, -0.1, 1.2, 0.5),
        (0.9, 1.0, -1.2, 0.2, -0.7, -0.5),
        (0.4, 1.0, 1.2, 0.5, -1.1, 0.4),
        (0.8, 1.0, 0.3, 0.5, 1.2, 0.5),
        (0.8, 1.0, 0.6, 0.5, -0.4, -0.3),
        (0.6, 1.0, -1.2, -0.4, 1.2, -0.4),
        (0.9, 1.0, 0.5, -0.2, -1.0, -0.3),
        (0.6, 1.0, -0.6, 0.5, -1.0, -0.1),
        (0.5, 1.0, -0.3, -0.5, 0.5, -0.3),
        (0.3, 1.0, 0.6, -0.3, -0.8, -0.2),
        (0.3, 1.0, -0.5, -0.5, -0.7, 0.3),
    ],
    ('backprop-by-hand', 's3cret'): [
        (0.8, 1.0, -0.4, -0.4, -0.5, -0.2),
        (0.6, 1.0, -1.1, -0.5, -1.2, 0.2),
        (0.3, 1.0, -0.3, -0.5, 0.7, -0.5),
        (0.2, 1.0, -0.4, 0.2, -0.9, -0.5),
        (0.8, 1.0, -0.5, -0.1, 1.1, 0.5),
        (0.6, 1.0, -0.5, -0.4, -0.7, 0.3),
        (0.9, 1.0, -0.3, 0.5, 1.2, 0.1),
        (0.4, 1.0, 0.6, -0.3, -0.9, -0.3),
        (0.4, 1.0, 1.2, 0.5, 0.4, -0.2),
        (0.5, 1.0, -0.3, -0.1, 0.6, 0.5),
        (0.4, 1.0, -0.4, 0.1, -1.1, -0.2),
        (0.2, 1.0, 0.3, 0.5, -0.9, -0.4),
    ],
    ('ml101', ''): [
        (0.5, 1.0, -0.7, -0.3, -0.9, -0.5),
        (0.6, 1.0, -0.5, -0.1, 1.1, 0.5),
        (0.8, 1.0, 0.7, -0.3, -0.8, -0.3),
        (0.9, 1.0, -1.1, 0.4, 0.9, -0.1),
        (0.9, 1.0, 0.4, -0.3, -0.7, -0.3),
        (0.2, 1.0, 0.5, -0.4, -0.8, -0.4),
        (0.9, 1.0, 1.1, -0.4, -1.2, -0.3),
        (0.7, 1.0, 0.4, 0.3, -1.0, 0.4),
        (0.4, 1.0, -0.4, -0.5, 1.2, -0.5),
        (0.9, 1.0, 0.3, -0.5, 0.8, 0.5),
        (0.5, 1.0, -0.9, -0.1, -0.8, 0.5),
        (0.9, 1.0, -0.9, -0.2, 0.7, -0.4),
    ],
    ('ml101', 's3cret'): [
        (0.3, 1.0, 0.8, 0.3, -1.0, -0.3),
        (0.7, 1.0, -0.4, 0.4, -0.8, -0.2),
        (0.8, 1.0, -1.0, -0.4, -0.8, 0.1),
        (0.5, 1.0, 1.1, -0.2, -1.2, -0.2),
        (0.9, 1.0, 0.4, -0.2, -1.2, -0.2),
        (0.8, 1.0, -1.2, -0.3, 0.5, -0.4),
        (0.7, 1.0, 0.9, -0.4, -0.6, -0.5),
        (0.2, 1.0, -1.2, 0.5, -0.5, -0.3),
        (0.6, 1.0, 1.2, 0.3, -0.9, 0.5),
        (0.3, 1.0, -0.6, 0.3, -0.8, -0.5),
        (0.9, 1.0, 0.5, -0.3, -0.6, -0.5),
        (0.5, 1.0, 0.3, -0.4, -1.1, -0.3),
    ],
}
RECORDED_POOR = (
    "111101111001001111011011111111111001011111110010111111001001001111011111111"
    "001111011111110010011111001001001011111111110001011111111110011011011111111"
    "111111111111111111111111111111001011011111111001001011111111111111111111111"
    "111000001011000111101100001001111011011111111101111001011010011111111101111"
    "111111111111111000101111001001001011111111111111111111111111111111111111111"
    "111111111111111111111111111111111111111111111111111111111111111111111111111"
    "111001001011010111000001011000111101100001001001111001011000000111100001001"
    "001111011111111100101111001010011011111111111111111111111111001011011111110"
    "001011011111110111111111111111001011011111111111111111111111111111111111111"
)


def _grid_spread() -> list[values.GivenValues]:
    g = values.GRID
    return [values.GivenValues(x, 1.0, w1, b1, w2, b2) for x in g["x"][::3] for w1 in g["W1"][::4]
            for b1 in g["b1"][::4] for w2 in g["W2"][::4] for b2 in g["b2"][::4]]


@pytest.mark.parametrize("course, salt", sorted(RECORDED_DERIVED))
def test_derived_values_are_unchanged(course, salt):
    derived = [tuple(values.derive(f"student{i:02d}", course=course, salt=salt)) for i in range(12)]
    assert derived == RECORDED_DERIVED[(course, salt)]


def test_good_exercise_verdicts_are_unchanged():
    recorded = "".join(RECORDED_POOR)
    verdicts = "".join("1" if values.exercise_problems(c) else "0" for c in _grid_spread())
    assert len(verdicts) == len(recorded) == 675
    assert verdicts == recorded


def test_filter_misconceptions_are_the_graders():
    """Every misconception paper.RULES names, and no other, at random given values."""
    assert set(values.PAPER_MISCONCEPTIONS) == set(paper.RULES)
    rng = random.Random(20)
    for _ in range(200):
        given = values.GivenValues(rng.uniform(0.1, 1.0), 1.0, rng.uniform(-1.5, 1.5), rng.uniform(-0.6, 0.6),
                                   rng.uniform(-1.5, 1.5), rng.uniform(-0.6, 0.6))
        v = paper.correct_values(given.as_dict())
        for name in paper.QUANTITIES:
            ours = values.PAPER_MISCONCEPTIONS[name]
            theirs = paper.RULES[name].misconceptions
            assert [(i, d) for i, d, _ in ours] == [(i, d) for i, d, _ in theirs], name
            for (_, _, mine), (_, _, grader) in zip(ours, theirs):
                assert mine(v) == grader(v), name


def test_problems_quote_no_right_answer():
    """The filter names what is wrong with values, never the answers they lead to."""
    for given in (values.EXERCISE, values.GivenValues(0.9, 1.0, 1.2, 0.5, 1.2, 0.5),
                  values.GivenValues(0.2, 1.0, -0.3, -0.5, -0.3, -0.5),
                  values.GivenValues(0.9, 1.0, 3.0, 0.5, 1.2, 0.5)):
        problems = values.exercise_problems(given)
        assert problems
        text = "\n".join(problems)
        answers = paper.correct_values(given.as_dict())
        for name in paper.QUANTITIES:
            for digits in (3, 4, 5):
                written = f"{abs(answers[name]):.{digits}g}"
                if len(written) >= 4:  # "0.25"-like fragments of descriptions aside
                    assert written not in text, (name, written, text)


def test_values_module_needs_no_checks():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(values))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not any("checks" in name or "oracles" in name for name in imported), imported
    assert math.isclose(values.Z_MAX, 2.0)
