"""litloom's own book: every chapter has its place in the reading order, and code comes in
chunks a reader takes in at a glance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO

CHAPTERS = sorted((REPO / "literate").rglob("*.md"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.relative_to(REPO).as_posix() for p in CHAPTERS])
def test_chapter_has_an_integer_order_and_short_chunks(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    order = re.search(r"^order: (\S+)$", text, re.M)
    assert order and order[1].isdigit(), f"{path.name}: `order:` must be an integer"
    inside, start = False, 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not inside and re.match(r"^```python", line):
            inside, start = True, number
        elif inside and line == "```":
            inside = False
            assert number - start - 1 <= 40, f"{path.name}:{start}: a chunk of {number - start - 1} lines"


def test_index_lists_every_chapter() -> None:
    index = (REPO / "literate" / "index.md").read_text(encoding="utf-8")
    linked = {m for m in re.findall(r"\]\(([\w/.-]+\.md)\)", index)}
    chapters = {p.relative_to(REPO / "literate").as_posix() for p in CHAPTERS} - {"index.md"}
    assert chapters <= linked, sorted(chapters - linked)
