"""The shortcuts a cold weave and a tangle take must give what the slow ways gave."""

from __future__ import annotations

import os
import posixpath
import random
from pathlib import Path

from litloom.store.writer import _relative_to
from litloom.weave import render
from litloom.weave.book import _relative, url

PARTS = ["a", "b", ".c", "d.md", "..", ".", "x y", "é"]


def test_journal_names_are_relpaths() -> None:
    rng = random.Random(17)
    for base in ["/w/a", "/w", "/", "/w/a/b", "/w/.c", "/w/a/.."]:
        relative = _relative_to(Path(base))
        for _ in range(3000):
            path = Path("/" + "/".join(rng.choices(PARTS, k=rng.randint(1, 5))))
            assert relative(path) == os.path.relpath(path, base), (path, base)


def test_page_urls_are_relpaths() -> None:
    rng = random.Random(17)
    for _ in range(20000):
        path = "/".join(rng.choices(PARTS, k=rng.randint(1, 4)))
        start = "/".join(rng.choices(PARTS, k=rng.randint(0, 3))) or "."
        assert _relative(path, start) == posixpath.relpath(path, start), (path, start)
    assert url("a/b.md", "a/c.md") == "b.html"
    assert url("x.md", "a/b/c.md") == "../../x.html"


def blocks(n: int) -> list[tuple[str, list[str]]]:
    return [("python", [f"value_{i} = {i}  # block {i}"]) for i in range(n)]


def test_prefill_highlights_in_the_background_then_the_first_miss_collects() -> None:
    highlighter = render.Highlighter()
    work = blocks(300)
    highlighter.prefill(work)
    assert highlighter._pool is not None  # started, not waited for
    first = highlighter.code(*work[0])
    assert highlighter._pool is None  # the first block not cached collected every batch
    assert len(highlighter.cache) == 300
    assert first == render.highlight("python", work[0][1][0] + "\n")
    assert highlighter.code(*work[299]) == render.highlight("python", work[299][1][0] + "\n")


def test_close_stops_a_pool_no_one_collected() -> None:
    highlighter = render.Highlighter()
    highlighter.prefill(blocks(300))
    highlighter.close()
    assert highlighter._pool is None
    assert highlighter.code("python", ["x = 1"]) == render.highlight("python", "x = 1\n")


def test_few_missing_blocks_start_no_pool() -> None:
    highlighter = render.Highlighter()
    highlighter.prefill(blocks(10))
    assert highlighter._pool is None
