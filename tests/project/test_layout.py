"""The tests stay grouped by what they test, as docs/developing.md maps them.

Every test module lives in a folder of tests/ (none at the top level, where only
conftest.py stays); each such folder is a package (its ``__init__.py`` says what it
holds, and two folders may then hold modules of the same name) and has a row in the
map "Where a test lives" of docs/developing.md, which names no folder that is gone.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT

TESTS = ROOT / "tests"
MAP_HEADING = "### Where a test lives"


def mapped_folders(text: str) -> set[str]:
    """The ``tests/<folder>/`` names in the first column of the map's table."""
    section = text.split(MAP_HEADING, 1)[1].split("\n#", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `tests/")]
    return {name for cell in rows for name in re.findall(r"`tests/(\w+)/`", cell)}


def folders(root: Path = TESTS) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.py"))}


def test_no_test_module_at_the_top_of_tests():
    assert sorted(p.name for p in TESTS.glob("*.py")) == ["conftest.py"]


def test_every_folder_is_a_package():
    assert sorted(name for name in folders() if not (TESTS / name / "__init__.py").is_file()) == []


def test_the_map_names_every_folder_and_no_other():
    mapped = mapped_folders((ROOT / "docs" / "developing.md").read_text())
    assert mapped == folders(), {"not in the map": folders() - mapped, "gone": mapped - folders()}


def test_a_folder_missing_from_the_map_is_named(tmp_path):
    for name in ("grading", "notebook4"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "test_x.py").write_text("")
    (tmp_path / "outside_styles_data").mkdir()   # no Python: not a test folder
    page = f"{MAP_HEADING}\n\n| folder | tests |\n| --- | --- |\n| `tests/grading/`, `tests/gone/` | x |\n\n## Next\n"
    assert mapped_folders(page) == {"grading", "gone"}
    assert folders(tmp_path) - mapped_folders(page) == {"notebook4"}
