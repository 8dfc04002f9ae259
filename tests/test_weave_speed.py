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


def test_prefill_highlights_in_the_background_and_a_miss_collects_its_batch() -> None:
    highlighter = render.Highlighter()
    work = blocks(300)
    highlighter.prefill(work)
    assert highlighter._pool is not None  # started, not waited for
    first = highlighter.code(*work[0])
    assert len(highlighter.cache) == 16  # the first batch (16 blocks, in order), only
    assert first == render.highlight("python", work[0][1][0] + "\n")
    assert highlighter.code(*work[299]) == render.highlight("python", work[299][1][0] + "\n")
    assert len(highlighter.cache) == 16 + 300 % 16  # and the last one
    assert all(highlighter.code(*block) for block in work) and len(highlighter.cache) == 300
    highlighter.close()
    assert highlighter._pool is None


def test_a_batch_the_pool_has_not_started_is_highlighted_here() -> None:
    """A page that needs a batch still waiting in the pool's queue does not wait for it."""
    highlighter = render.Highlighter()
    work = blocks(64 * 16)
    highlighter.prefill(work)
    last = highlighter.code(*work[-1])  # asked for at once: the pool has not reached it
    assert highlighter._batches[-1][0].cancelled()
    assert last == render.highlight("python", work[-1][1][0] + "\n")
    assert len(highlighter.cache) == 16
    highlighter.close()


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


def test_prefill_runs_other_work_first_in_the_same_pool() -> None:
    from litloom.weave.pages import _parse_facts, parse_batch, python_facts, unparsed

    files = {f"pkg/m{i}.py": (f"import os\n\ndef f{i}():\n    pass\n", None) for i in range(40)}
    cache: dict = {}
    parse = unparsed(files, cache)
    assert len(parse) == 40
    highlighter = render.Highlighter()
    highlighter.prefill(blocks(300), (parse_batch, [parse[i::2] for i in range(2)]))
    for parsed in highlighter.results():
        cache.update(parsed)
    highlighter.close()
    assert unparsed(files, cache) == []
    text = files["pkg/m3.py"][0]
    assert python_facts(text, "pkg.m3", cache) == _parse_facts(text, "pkg.m3")
    assert python_facts(text, "pkg.m3", cache)[0] == [("f3", "function", 3)]


def test_results_are_empty_when_no_pool_started() -> None:
    highlighter = render.Highlighter()
    highlighter.prefill(blocks(3), (len, [[1], [2]]))
    assert highlighter.results() == []
