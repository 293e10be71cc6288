"""docs/adding-a-notebook.md names only things that exist.

The checklist for a fourth notebook points at files, modules, names and make targets;
when one of them is renamed or moved, this test names what the page still points at.
What is read (inline code, outside fenced blocks):

- a file path (``course/grader/judges.py``): it exists; a path with a ``<placeholder>``
  names a file to create, so the folder before the placeholder must exist;
- a dotted name starting ``course.`` (``course.grader.reference.REFERENCES``): it imports,
  and the attributes after the module exist;
- ``make <target>``: the Makefile has that target;
- "``NAME`` in ``file``": ``NAME`` occurs in that file's text.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from conftest import ROOT

CHECKLIST = ROOT / "docs" / "adding-a-notebook.md"
FILE_SUFFIXES = (".py", ".ipynb", ".md", ".toml", ".json", ".sh", ".yml", ".txt")


def _inline_code(text: str) -> list[str]:
    """Every inline code span of a markdown ``text``, fenced code blocks left out."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.findall(r"`([^`\n]+)`", text)


def _is_path(word: str) -> bool:
    return ("/" in word or word.endswith(FILE_SUFFIXES)) and not word.startswith(("course.", "http"))


def _missing_path(word: str, root: Path) -> str | None:
    if "<" in word:   # a file to create: its folder must exist
        folder = word.split("<", 1)[0].rpartition("/")[0]
        if folder and not (root / folder).is_dir():
            return f"folder {folder}/ (for {word})"
        return None
    return None if (root / word).exists() else f"path {word}"


def _missing_name(dotted: str) -> str | None:
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError as error:
            if error.name is None or not ".".join(parts[:split]).startswith(error.name):
                return f"name {dotted} (importing it fails: {error})"
            continue   # not a module: an attribute of a shorter prefix
        except Exception as error:  # noqa: BLE001 - an import that fails is what the page must not name
            return f"name {dotted} (importing it fails: {type(error).__name__}: {error})"
        for attribute in parts[split:]:
            if not hasattr(target, attribute):
                return f"name {dotted} ({'.'.join(parts[:split])} has no {attribute})"
            target = getattr(target, attribute)
        return None
    return f"name {dotted} (no such module)"   # not even its first part imports


def _make_targets(root: Path) -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (root / "Makefile").read_text(), re.M))


def missing(text: str, root: Path = ROOT) -> list[str]:
    """What ``text`` (a checklist in markdown) names that does not exist under ``root``."""
    found: list[str] = []
    targets = _make_targets(root)
    for code in _inline_code(text):
        words = code.split()
        if words[:1] == ["make"] and len(words) > 1:
            if words[1] not in targets:
                found.append(f"make target {words[1]}")
            continue
        for word in words:
            word = word.rstrip(".,;:)")
            if re.fullmatch(r"course(\.\w+)+", word):
                found.append(_missing_name(word))
            elif _is_path(word):
                found.append(_missing_path(word, root))
    stripped = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    for name, path in re.findall(r"`(\w+)` in `([^`\s]+)`", stripped):
        file = root / path
        if file.is_file() and name not in file.read_text():
            found.append(f"{name} in {path}")
    return [entry for entry in found if entry]


def test_the_checklist_names_only_what_exists():
    problems = missing(CHECKLIST.read_text())
    assert not problems, "docs/adding-a-notebook.md names what does not exist: " + "; ".join(problems)


def test_the_checklist_covers_every_place_a_notebook_is_registered():
    """The places a fourth notebook must touch are on the page (a new one must be added)."""
    text = CHECKLIST.read_text()
    for place in ("course/kernel/checks/<name>.py", "course/checks/<name>.py", "course/grader/reference.py",
                  "course/grader/judges.py", "course/kernel/checks/expected_tables.py",
                  "tests/checks/test_visible_expected.py", "source_py/ex01_backprop/04_<name>.py", "make release"):
        assert f"`{place}" in text, place


def test_a_wrong_checklist_is_named_item_by_item(tmp_path):
    (tmp_path / "Makefile").write_text("release: sync\n\t@true\n")
    (tmp_path / "course").mkdir()
    (tmp_path / "there.py").write_text("NOTEBOOK_NAMES = ()\n")
    page = ("Edit `there.py` and `gone/file.py`, create `course/<name>.py` and `absent/<name>.py`;\n"
            "run `make release` and `make publish`; use `course.grader.reference.REFERENCES`,\n"
            "`course.grader.reference.NOT_THERE` and `course.no_such_module`; add to\n"
            "`NOTEBOOK_NAMES` in `there.py` and `SLIPS` in `there.py`.\n"
            "```python\n`ignored/in/a/fence.py`\n```\n")
    assert missing(page, tmp_path) == [
        "path gone/file.py",
        "folder absent/ (for absent/<name>.py)",
        "make target publish",
        "name course.grader.reference.NOT_THERE (course.grader.reference has no NOT_THERE)",
        "name course.no_such_module (course has no no_such_module)",
        "SLIPS in there.py",
    ]
