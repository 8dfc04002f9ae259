"""Woven pages convert the same with litloom's raw-block stash as without it, and the stash takes
litloom's blocks out of Markdown's HTML parsing."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest

from litloom.weave.stash import RawBlocks

WOVEN = Path(__file__).parent / "data" / "weave" / "book"
PAGES = sorted(WOVEN.rglob("*.md"))


@pytest.fixture(scope="module")
def extensions() -> tuple[list, dict]:
    from mkdocs.config import load_config

    settings = load_config(str(Path(__file__).parents[1] / "mkdocs.yml"), docs_dir=str(WOVEN))
    return list(settings.markdown_extensions), dict(settings.mdx_configs)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(WOVEN).as_posix())
def test_a_woven_page_converts_the_same(page: Path, extensions: tuple[list, dict]) -> None:
    names, configs = extensions
    text = page.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
    plain = markdown.Markdown(extensions=names, extension_configs=configs).convert(text)
    stashing = markdown.Markdown(extensions=[*names, RawBlocks()], extension_configs=configs)
    assert stashing.convert(text) == plain


def test_the_blocks_litloom_wove_are_stashed_before_markdown_reads_html(
    extensions: tuple[list, dict],
) -> None:
    names, configs = extensions
    stashing = markdown.Markdown(extensions=[*names, RawBlocks()], extension_configs=configs)
    index = stashing.preprocessors.get_index_for_name  # the order they run in
    assert index("litloom_raw_blocks") < index("html_block")
    for page, opening, count in (
        ("parts/helpers.md", '<div class="loom-chunk"', 2),
        ("chunks.md", '<table markdown="0">', 2),
        ("files/pkg/app.py.md", '<div class="highlight" markdown="0">', 1),
    ):
        lines = (WOVEN / page).read_text(encoding="utf-8").split("\n")
        out = stashing.preprocessors["litloom_raw_blocks"].run(lines)
        assert sum(line.startswith(opening) for line in lines) == count
        assert not any(line.startswith(opening) for line in out), page
        blocks = [str(b) for b in stashing.htmlStash.rawHtmlBlocks]
        assert sum(b.startswith(opening) for b in blocks) == count
        stashing.reset()
