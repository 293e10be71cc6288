"""The three notebooks read as one course: the same title style, the title first, one
notation, the points of every task in its heading (checked against the cells' nbgrader
metadata, read here from the JSON), reflection questions that say their numbering, and
setup cells without plumbing or unused imports."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from conftest import source_notebooks

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$", re.M)
POINTS = re.compile(r"\((\d+) points?(?:: (\d+) autograded, (\d+) marked by hand|, (autograded|marked by hand))\)$")
TOTALS = re.compile(r"(\d+) in this notebook, (\d+) autograded and (\d+) marked by hand")


def cells(path: Path) -> list[dict]:
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        cell["text"] = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return notebook["cells"]


def points(cell: dict) -> tuple[float, float]:
    """(autograded, marked by hand) points of one cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    worth = float(meta.get("points") or 0)
    if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
        return worth, 0.0
    if meta.get("task") or meta.get("grade"):
        return 0.0, worth
    return 0.0, 0.0


def headings(notebook: list[dict]) -> list[tuple[int, int, str]]:
    """(cell index, level, text) of every markdown heading, in reading order."""
    found = []
    for index, cell in enumerate(notebook):
        if cell["cell_type"] == "markdown":
            text = re.sub(r"```.*?```", "", cell["text"], flags=re.S)  # no headings inside code blocks
            found += [(index, len(m.group(1)), m.group(2)) for m in HEADING.finditer(text)
                      if not m.group(2).startswith(("BEGIN ", "END "))]  # nbgrader's delimiters
    return found


def claimed(text: str) -> tuple[float, float] | None:
    match = POINTS.search(text)
    if not match:
        return None
    total, auto, hand, kind = match.groups()
    if kind:
        return (float(total), 0.0) if kind == "autograded" else (0.0, float(total))
    assert int(auto) + int(hand) == int(total), text
    return float(auto), float(hand)


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda p: p.stem)
def test_headings_state_the_points_the_cells_carry(path):
    notebook = cells(path)
    found = headings(notebook)
    covered = set()
    annotated = 0
    for position, (index, level, text) in enumerate(found):
        following = [i for i, lvl, _ in found[position + 1:] if lvl <= level]
        end = following[0] if following else len(notebook)
        section = range(index, end)
        auto = sum(points(notebook[i])[0] for i in section)
        hand = sum(points(notebook[i])[1] for i in section)
        says = claimed(text)
        if says is None:
            continue
        annotated += 1
        assert says == (auto, hand), f"{path.name}: heading {text!r} but its cells carry {auto:g} + {hand:g}"
        covered.update(section)
    graded = {i for i, cell in enumerate(notebook) if sum(points(cell)) > 0}
    assert annotated and graded <= covered, f"graded cells under no heading with points: {sorted(graded - covered)}"
    # the notebook's totals, as its introduction states them
    auto = sum(points(cell)[0] for cell in notebook)
    hand = sum(points(cell)[1] for cell in notebook)
    (stated,) = TOTALS.findall(notebook[0]["text"])
    assert tuple(float(n) for n in stated) == (auto + hand, auto, hand)


def test_titles_share_one_style_and_come_first():
    titles = []
    for path in source_notebooks():
        first = cells(path)[0]
        assert first["cell_type"] == "markdown", f"{path.name} starts with a {first['cell_type']} cell"
        titles.append(first["text"].splitlines()[0])
    assert [re.sub(r"Part \d: .*", "", t) for t in titles] == ["# Backprop by Hand — "] * 3, titles
    assert [re.search(r"Part (\d):", t).group(1) for t in titles] == ["1", "2", "3"]


def test_one_notation_for_the_prediction_and_the_logarithm():
    for path in source_notebooks():
        for cell in cells(path):
            if cell["cell_type"] == "markdown":
                assert "\\hat" not in cell["text"] and "\\log" not in cell["text"], (path.name, cell["text"][:200])


def test_reflection_questions_say_they_use_the_exercises_numbering():
    for path in source_notebooks():
        text = "\n".join(cell["text"] for cell in cells(path) if cell["cell_type"] == "markdown")
        if re.search(r"[Rr]eflection question", text):
            assert "the exercise's numbering" in text, path.name


def test_setup_cells_have_no_plumbing_and_no_unused_import():
    for path in source_notebooks():
        notebook = cells(path)
        setup_index = next(i for i, c in enumerate(notebook) if c["cell_type"] == "code")
        setup = notebook[setup_index]["text"]
        assert "os.environ" not in setup and "%matplotlib" not in setup, setup
        rest = "\n".join(c["text"] for i, c in enumerate(notebook) if i != setup_index)
        code = "\n".join(line for line in setup.splitlines() if not line.lstrip().startswith(("%", "!")))
        names = [alias.asname or alias.name.split(".")[0] for node in ast.walk(ast.parse(code))
                 if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names]
        unused = [name for name in names if not re.search(rf"\b{re.escape(name)}\b", rest)]
        assert not unused, f"{path.name}: the setup cell imports {unused} and nothing uses them"
