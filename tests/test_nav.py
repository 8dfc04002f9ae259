"""A long navigation is grouped, so that each page renders a small part of it (weave/site.md)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import NODE_MODULES, REPO, Project, chunk, loom_process
from litloom.model import Document
from litloom.weave.book import make_book
from litloom.weave.site import LONG, make_nav


def _book(paths: list[str]):
    documents = [Document(f"literate/{p}", front_matter={"title": _name(p)}) for p in paths]
    return make_book(documents, "literate")


def _name(path: str) -> str:
    return "Home" if path.endswith("index.md") else Path(path).stem.replace("_", " ").capitalize()


def _pages(nav: Any) -> list[str]:
    """Every page of a navigation, in order."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for item in nav.values() for page in _pages(item)]
    return [page for item in nav for page in _pages(item)]


def _lists(nav: Any) -> list[list[Any]]:
    """Every list of a navigation (the lists the theme shows)."""
    if isinstance(nav, list):
        return [nav, *(found for item in nav for found in _lists(item))]
    if isinstance(nav, dict):
        return [found for item in nav.values() for found in _lists(item)]
    return []


def test_a_short_navigation_is_as_it_was() -> None:
    paths = ["index.md", *(f"doc_{i:03}.md" for i in range(1, LONG))]
    targets = [f"pkg/m{i}.py" for i in range(LONG)]
    nav = make_nav(_book(paths), targets)
    assert nav[0] == {"Home": "index.md"} and nav[1] == {"Doc 001": "doc_001.md"}
    assert len(nav) == LONG + 3
    assert nav[-3] == {"Files": [{t: f"files/{t}.md"} for t in targets]}


def test_a_long_top_level_is_grouped_one_level_down() -> None:
    paths = ["index.md", *(f"doc_{i:03}.md" for i in range(1, 121))]
    nav = make_nav(_book(paths), [])
    assert nav[0] == {"Home": "index.md"}
    assert [list(e) for e in nav[1:]] == [["Documents"], ["Files"], ["Index"], ["Architecture"]]
    groups = nav[1]["Documents"]
    assert len(groups) == 11  # the square root of 120, rounded up: 11 groups of 10 or 11
    assert list(groups[0]) == ["Doc 001 – Doc 010"] and list(groups[-1]) == ["Doc 110 – Doc 120"]
    assert _pages(groups) == [f"doc_{i:03}.md" for i in range(1, 121)]  # the same order
    assert max(len(entries) for entries in _lists(nav)) <= 11


def test_a_long_folder_keeps_its_index_first_and_groups_the_rest() -> None:
    paths = ["index.md", "part/index.md", *(f"part/d{i:03}.md" for i in range(60))]
    children = make_nav(_book(paths), [])[1]["Part"]
    assert children[0] == {"Home": "part/index.md"}  # the section's own page
    assert len(children) == 1 + 8 and all(
        isinstance(v, list) for c in children[1:] for v in c.values()
    )


def test_many_tangled_files_are_listed_by_folder_then_grouped() -> None:
    targets = sorted(
        [
            "setup.py",
            *(f"pkg/m{i:03}.py" for i in range(100)),
            *(f"pkg/sub/s{i}.py" for i in range(5)),
        ]
    )
    files = make_nav(_book(["index.md"]), targets)[-3]["Files"]
    assert files[0] == {"setup.py": "files/setup.py.md"}
    assert [list(e) for e in files[1:]] == [["pkg"], ["pkg/sub"]]
    assert files[2] == {"pkg/sub": [{f"s{i}.py": f"files/pkg/sub/s{i}.py.md"} for i in range(5)]}
    assert len(files[1]["pkg"]) == 10 and list(files[1]["pkg"][0]) == ["m000.py – m009.py"]
    assert _pages(files) == [f"files/{t}.md" for t in ["setup.py", *targets[:-1]]]


def test_a_very_long_list_is_grouped_twice() -> None:
    paths = [f"d{i:04}.md" for i in range(3000)]
    nav = make_nav(_book(paths), [])
    assert max(len(entries) for entries in _lists(nav)) <= 15  # the cube root of 3,000: 15
    assert _pages(nav[0]["Documents"]) == sorted(_pages(nav[0]["Documents"]))
    assert len(_pages(nav)) == 3002


@pytest.mark.skipif(not (NODE_MODULES / "mermaid").exists(), reason="needs `npm ci`")
def test_a_page_of_a_big_site_renders_a_small_part_of_the_navigation(project: Project) -> None:
    documents = {
        f"literate/doc_{i:03}.md": f"# Doc {i}\n\n"
        + chunk(f" {{.python file=pkg/m{i:03}.py}}", f"X = {i}")
        for i in range(120)
    }
    project.write({**documents, "mkdocs.yml": (REPO / "mkdocs.yml").read_text()})
    os.symlink(NODE_MODULES, project.root / "node_modules")
    run = loom_process("build", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    site = project.root / "build/site"
    pages = list(site.rglob("*.html"))
    assert len(pages) > 240
    pages_of = {
        "doc_060.html": ("doc_061.html", "doc_000.html", "doc_100.html"),
        "files/pkg/m060.py.html": ("m061.py.html", "m000.py.html", "m100.py.html"),
    }
    for page, (neighbour, first_of_a_group, inside_another) in pages_of.items():
        text = (site / page).read_text()
        navigation = text[text.index("md-nav--primary") : text.index("md-sidebar--secondary")]
        links = re.findall(r'<a href="([^"#]+)"', navigation)
        assert 15 < len(links) < 50, (page, len(links))  # of 245 pages
        assert neighbour in links and first_of_a_group in links  # a pruned group: one link
        assert inside_another not in links
    nav = json.loads(project.read("build/litloom/nav.json"))
    assert [list(e)[0] for e in nav][:2] == ["Documents", "Files"]
