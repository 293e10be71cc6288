"""The README stays short and starts with the two commands; every link between the docs resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from project.test_adding_a_notebook import _inline_code, _missing_name

PAGES = [ROOT / "README.md", ROOT / "deploy" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    return {_slug(title) for title in re.findall(r"^#+ (.+)$", text, re.M)}


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(target)
    return broken


def test_readme_is_read_in_five_minutes():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move details to docs/"
    text = "\n".join(lines)
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block is not None and text[:first_block.start()].count("\n") < 5, "the README starts with the commands"
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make lab", "make test"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_between_the_docs_resolve(page):
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_course_name_the_docs_mention_imports(page):
    """``course.grader.judging.JudgeReports`` and the like: modules and classes the docs name exist."""
    names = {word.rstrip(".,;:)") for code in _inline_code(page.read_text()) for word in code.split()}
    problems = [_missing_name(name) for name in sorted(names) if re.fullmatch(r"course(\.\w+)+", name)]
    assert [problem for problem in problems if problem] == []


def test_a_broken_link_is_found(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## A section: with punctuation\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md) [ok](other.md#a-section-with-punctuation) [gone](missing.md) "
                    "[bad anchor](other.md#nowhere) [web](https://example.org/x)\n")
    assert broken_links(page) == ["missing.md", "other.md#nowhere"]


def test_every_doc_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for page in PAGES[1:]:
        assert f"({page.relative_to(ROOT)}" in readme, f"README.md does not link {page.relative_to(ROOT)}"
