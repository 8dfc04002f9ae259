"""The Changes page of the site: what changed from each git tag to the next, newest first,
linked into the book; `--since REV`; projects without git or tags; the comparisons' cache."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from test_diff import GIT, Repo

from conftest import NODE_MODULES, PYPROJECT, REPO, Project, loom_process


class Tagged(Repo):
    """A project in a git repository, with tags made on the dates the tests say."""

    def tag(self, name: str, date: str) -> None:
        env = {**os.environ, **GIT, "GIT_COMMITTER_DATE": date}
        done = subprocess.run(
            [
                "git",
                "-C",
                str(self.root),
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "tag",
                "-a",
                name,
                "-m",
                name,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 0, done.stderr


NODE_MODULES = Path(os.environ.get("LOOM_NODE_MODULES") or NODE_MODULES)
MERMAID = NODE_MODULES / "mermaid" / "dist" / "mermaid.min.js"
pytestmark = pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)")

HELLO = """\
# Hello

Greets people.

```python {file=demo/hello.py}
<<greet>>
```

## The greeting

A greeting is friendly.

```python {#greet}
def greet(name):
    return f"hello {name}"
```
"""
BYE = """
## Parting

```python {#bye}
def bye(name):
    return f"bye {name}"
```
"""
OTHER = """\
# Other

```python {file=demo/other.py}
def other():
    return 1
```
"""


def new_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tagged:
    """An empty repository in tmp_path/proj, git kept from any settings of the machine."""
    for key, value in GIT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = Tagged(tmp_path / "proj")
    repo.root.mkdir()
    os.symlink(NODE_MODULES, repo.root / "node_modules")
    repo.git("init", "-q", "-b", "main")
    return repo


@pytest.fixture
def tagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tagged:
    """A project with three tags: v0.1, v0.2 (greet changed), v0.10 (bye added). v0.10 is
    tagged with the oldest date: the order is the versions', not the dates'."""
    repo = new_repository(tmp_path, monkeypatch)
    files = {"pyproject.toml": PYPROJECT, ".gitignore": "build/\nnode_modules\n"}
    files |= {"mkdocs.yml": (REPO / "mkdocs.yml").read_text()}
    repo.commit({**files, "literate/hello.md": HELLO, "literate/other.md": OTHER})
    repo.tag("v0.1", "2024-01-01T00:00:00")
    repo.commit({"literate/hello.md": HELLO.replace("hello {name}", "hi {name}")})
    repo.tag("v0.2", "2024-02-01T00:00:00")
    with_bye = HELLO.replace("hello {name}", "hi {name}").replace("<<greet>>", "<<greet>>\n<<bye>>")
    repo.commit({"literate/hello.md": with_bye + BYE})
    repo.tag("v0.10", "2023-01-01T00:00:00")
    return repo


def sections(page: str) -> list[str]:
    return re.findall(r"^## (.*)$", page, re.M)


def entries(page: str, section: str) -> list[str]:
    """The entries of one section, as text: `kind: subject (detail) place`."""
    part = page.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [re.sub(r"<[^>]+>", "", html.unescape(e)) for e in re.findall(r"<li.*</li>", part)]


def links(page: str, section: str) -> dict[str, str | None]:
    """Each entry's subject, and the address it links to (None without a link)."""
    part = page.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    found = {}
    for item in re.findall(r"<li.*</li>", part):
        link = re.search(r'</strong>: <a href="([^"]*)">([^<]*)</a>', item)
        if link:
            found[html.unescape(link[2])] = html.unescape(link[1])
        else:
            found[html.unescape(re.search(r"</strong>: ([^ <]*)", item)[1])] = None
    return found


def test_the_changes_between_tags_newest_first_with_links(tagged: Tagged) -> None:
    run = tagged.loom("weave")
    assert run.exit_code == 0, run.stderr
    page = tagged.read("build/docs/changes.md")
    assert sections(page) == ["v0.10", "v0.2", "v0.1"]
    assert "from <code>v0.2</code> to <code>v0.10</code>: 1 document, 2 chunks" in page
    assert "2024-02-01: from <code>v0.1</code> to <code>v0.2</code>" in page
    assert "2024-01-01: the first tag: there is nothing before it" in page
    assert entries(page, "v0.2") == [
        "chunk changed: greet (1 line added, 1 removed) literate/hello.md:13",
        "code changed, rationale unchanged: The greeting (its chunks changed; the prose "
        "beside them did not) literate/hello.md:13",
        "definition changed: hello:greet (body changed) literate/hello.md:14",
    ]
    assert links(page, "v0.2") == {
        "greet": "hello.html#chunk-greet",
        "The greeting": "hello.html#chunk-greet",
        "hello:greet": "hello.html#chunk-greet",
    }
    assert links(page, "v0.10")["bye"] == "hello.html#chunk-bye"
    assert links(page, "v0.10")["Parting"] == "hello.html"  # prose: its chapter
    assert '### <a href="hello.html"><code>literate/hello.md</code></a>' in page
    nav = json.loads(tagged.read("build/litloom/nav.json"))
    assert nav[-4:] == [
        {"Changes": "changes.md"},
        {"Health": "health.md"},
        {"Index": "chunks.md"},
        {"Architecture": "architecture.md"},
    ]


def test_every_link_of_the_page_reaches_its_anchor_in_the_built_site(tagged: Tagged) -> None:
    tagged.write({"literate/hello.md": tagged.read("literate/hello.md").replace("hi", "hey")})
    run = loom_process("build", "--since", "v0.1", cwd=tagged.root)  # mkdocs, strictly
    assert run.exit_code == 0, run.stderr
    site = tagged.root / "build" / "site"
    text = (site / "changes.html").read_text()
    hrefs = re.findall(r'<li class="loom-change[^"]*">.*?href="([^"]*)"', text)
    hrefs += re.findall(r'<h3[^>]*><a href="([^"]*)"', text)
    assert len(hrefs) > 10 and any("#chunk-greet" in h for h in hrefs)
    for href in hrefs:
        address = urlsplit(html.unescape(href))
        target = site / unquote(address.path)
        assert target.is_file(), href
        if address.fragment:
            assert f'id="{address.fragment}"' in target.read_text(), href


def test_an_entry_whose_chunk_is_gone_links_its_chapter_or_nothing(tagged: Tagged) -> None:
    tagged.commit({"literate/other.md": OTHER.replace("return 1", "return 2")})
    tagged.tag("v0.11", "2024-03-01T00:00:00")
    now = tagged.read("literate/hello.md").replace("greet", "salute")
    tagged.write({"literate/hello.md": now})
    (tagged.root / "literate" / "other.md").unlink()
    assert tagged.loom("weave").exit_code == 0
    page = tagged.read("build/docs/changes.md")
    assert links(page, "v0.2")["greet"] == "hello.html"  # no chunk `greet` now: its chapter
    assert links(page, "v0.11")["file:demo/other.py"] is None  # no chapter either: no link
    assert "### <code>literate/other.md</code>" in page


def test_since_puts_the_working_tree_s_changes_on_top(tagged: Tagged) -> None:
    tagged.write({"literate/other.md": OTHER + "\n```python\nprint('an example')\n```\n"})
    run = tagged.loom("weave", "--since", "v0.10")
    assert run.exit_code == 0, run.stderr
    page = tagged.read("build/docs/changes.md")
    assert sections(page) == ["Since v0.10", "v0.10", "v0.2", "v0.1"]
    assert "from <code>v0.10</code> to the working tree:" in page
    # the working tree is what the site shows: a chunk without a key is linked by its line
    assert links(page, "Since v0.10")["python chunk at line 8"] == "other.html#chunk-line-8"
    assert sections(tagged.read("build/docs/changes.md")) == sections(page)
    assert tagged.loom("weave").exit_code == 0  # without --since: the section goes
    assert sections(tagged.read("build/docs/changes.md")) == ["v0.10", "v0.2", "v0.1"]


@pytest.mark.parametrize("command", ["weave", "build"])
def test_an_unknown_since_revision_is_a_located_error_and_nothing_is_written(
    tagged: Tagged, command: str
) -> None:
    before = tagged.snapshot()
    run = tagged.loom(command, "--since", "v9")
    assert run.exit_code == 2
    assert "v9: unknown revision: no commit, branch or tag of that name" in run.stderr
    assert "nothing was written" in run.stderr
    assert tagged.snapshot() == before


def test_since_outside_git_is_a_located_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "proj"
    (root / "literate").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "literate" / "hello.md").write_text(HELLO)
    os.symlink(NODE_MODULES, root / "node_modules")
    before = Project(root).snapshot()
    run = loom_process("weave", "--since", "HEAD", cwd=root)
    assert run.exit_code == 2
    assert f"{root}: not in a git repository" in run.stderr
    assert Project(root).snapshot() == before


def test_no_git_or_no_tag_no_page_and_no_error(tmp_path: Path, monkeypatch) -> None:
    for key, value in GIT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = Tagged(tmp_path / "proj")
    repo.write({"pyproject.toml": PYPROJECT, "literate/hello.md": HELLO})
    os.symlink(NODE_MODULES, repo.root / "node_modules")
    for step in ("no git", "no tag"):
        run = repo.loom("weave")
        assert run.exit_code == 0, (step, run.stderr)
        assert not (repo.root / "build" / "docs" / "changes.md").exists(), step
        nav = json.loads(repo.read("build/litloom/nav.json"))
        assert {"Changes": "changes.md"} not in nav, step
        repo.git("init", "-q", "-b", "main")
        repo.commit()


def test_comparisons_are_cached_by_tree_and_not_made_again(
    tagged: Tagged, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tagged.loom("weave").exit_code == 0
    cache = tagged.root / "build" / "litloom" / "changes"
    first = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(first) == 2  # v0.1..v0.2 and v0.2..v0.10, by their trees
    trees = [tagged.git("rev-parse", f"{t}^{{tree}}").strip() for t in ("v0.1", "v0.2")]
    assert f"{trees[0]}..{trees[1]}.json" in first

    def compare(*args, **kwargs):
        raise AssertionError("compared again")

    monkeypatch.setattr("litloom.diff.compare.compare", compare)
    page = tagged.read("build/docs/changes.md")
    again = tagged.loom("weave")
    assert again.exit_code == 0 and "0 written" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == first
    assert tagged.read("build/docs/changes.md") == page
    tagged.git("tag", "v0.3", "v0.2")  # v0.2 renamed: the same trees, still cached
    tagged.git("tag", "-d", "v0.2")
    assert tagged.loom("weave").exit_code == 0
    assert sections(tagged.read("build/docs/changes.md")) == ["v0.10", "v0.3", "v0.1"]
    monkeypatch.undo()
    tagged.git("tag", "-d", "v0.10")  # gone: its comparison goes too
    assert tagged.loom("weave").exit_code == 0
    assert [p.name for p in cache.iterdir()] == [f"{trees[0]}..{trees[1]}.json"]


def test_a_tag_that_cannot_be_read_is_said_not_compared(tmp_path: Path, monkeypatch) -> None:
    repo = new_repository(tmp_path, monkeypatch)
    repo.commit({"pyproject.toml": '[project]\nname = "demo"\n', "README.md": "old\n"})
    repo.tag("v0", "2024-01-01T00:00:00")  # before the project used litloom
    repo.commit({"pyproject.toml": PYPROJECT, "literate/hello.md": HELLO, ".gitignore": "build/"})
    repo.tag("v1", "2024-02-01T00:00:00")
    run = repo.loom("weave")
    assert run.exit_code == 0, run.stderr
    page = repo.read("build/docs/changes.md")
    assert sections(page) == ["v1", "v0"]
    assert "from <code>v0</code> to <code>v1</code>: not compared, for" in page
    assert "v0:pyproject.toml: no litloom configuration on this side" in page


def test_a_document_may_not_take_the_changes_page(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "proj"
    (root / "literate").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "literate" / "changes.md").write_text("# My changes\n")
    os.symlink(NODE_MODULES, root / "node_modules")
    run = loom_process("weave", cwd=root)
    assert run.exit_code == 2
    assert "literate/changes.md: its page changes.md would take the name of a page" in run.stderr
