"""``make demo`` runs in a scratch course: the real course root — release/ that students
work in, gradebook.db, grades.csv, submitted/, autograded/, feedback/ — stays exactly as
it was, however often it runs; its grade table says how many points are marked by hand."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from conftest import ASSIGNMENT, ROOT, SOURCE_DIR

WATCHED = ("release", "gradebook.db", "grades.csv", "submitted", "autograded", "feedback", ".grading",
           "nbgrader_config.py", "source")


def course_state() -> dict:
    """Checksums of every file under the watched paths (absent ones recorded as absent)
    and ``git status``."""
    state = {}
    for name in WATCHED:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" not in file.parts:
                state[str(file.relative_to(ROOT))] = (hashlib.sha256(file.read_bytes()).hexdigest()
                                                      if file.exists() else "absent")
    state["git status"] = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, text=True,
                                         capture_output=True, check=True).stdout
    return state


def run_demo() -> str:
    env = dict(os.environ, NBGRADER_DB_URL=f"sqlite:///{ROOT / 'gradebook.db'}",
               NBGRADER_EXCHANGE=str(ROOT / ".exchange"))  # what an instructor's shell may say
    env.pop("NBGRADER_EXECUTION", None)
    result = subprocess.run([sys.executable, "-m", "course.instructor.demo", ASSIGNMENT,
                             "--notebooks", "01_paper_calculation"],
                            cwd=ROOT, env=env, text=True, capture_output=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.nbgrader
def test_demo_twice_leaves_the_course_root_as_it_was():
    before = course_state()
    outputs = [run_demo(), run_demo()]
    assert course_state() == before
    for output in outputs:
        rows = {line.split()[0]: line.split() for line in output.splitlines() if line.startswith("demo_")}
        assert set(rows) == {"demo_full", "demo_blank", "demo_partly_wrong"}, output
        assert rows["demo_full"][2] == "14" and rows["demo_blank"][2] == "0", output  # auto column
        assert "now removed" in output
        # make demo ends with the class report's summary (reports/ of the scratch course)
        assert "What the class got wrong" in output and "right by error carried forward" in output, output


def _points_by_kind() -> tuple[float, float]:
    """Autograded and hand-marked points read from the notebooks' JSON here."""
    auto = by_hand = 0.0
    for path in sorted(SOURCE_DIR.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            worth = float(meta.get("points") or 0)
            if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
                auto += worth
            elif meta.get("task") or meta.get("grade"):
                by_hand += worth
    return auto, by_hand


def test_grade_table_says_how_many_points_are_marked_by_hand():
    from course.instructor.demo import points_note

    auto, by_hand = _points_by_kind()
    assert by_hand > 0
    note = points_note(SOURCE_DIR)
    assert f"max {auto + by_hand:g} = {auto:g} autograded + {by_hand:g} marked by hand" in note
    assert f"the full solution scores {auto:g}" in note
