"""Weave and site: pages, links, escaping, hiding, navigation, diagrams, incremental builds."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NODE_MODULES, REPO, Project, chunk, loom_process

MKDOCS = (REPO / "mkdocs.yml").read_text()
MERMAID = NODE_MODULES / "mermaid" / "dist" / "mermaid.min.js"
pytestmark = pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)")

BOOK = {
    "literate/index.md": "---\ntitle: Home\n---\n\n# Home\n\nWelcome to the zebra manual.\n\n"
    + chunk(" {.python file=pkg/app.py}", '"""App."""', "", "<<helpers>>", "", "<<main>>"),
    "literate/parts/helpers.md": "---\ntitle: Helpers\norder: 2\n---\n\n# Helpers\n\n"
    + chunk(" {.python #helpers}", "def helper():", "    return 1")
    + "\nMore helpers:\n\n" + chunk(" {.python #helpers}", "def other():", "    return 2"),
    "literate/parts/main.md": "---\ntitle: Main first\norder: 1\n---\n\n# Main\n\n"
    + chunk(" {.python #main}", "def main():", "    return helper()")
    + "\n" + chunk("python", "#| hide", "#| chunk: secret", "SECRET = 1")
    + chunk(" {.python #danger}", "print('<script>alert(1)</script>')")
    + "\n```mermaid\nflowchart LR\n  a --> b\n```\n",
}


@pytest.fixture
def book(project: Project) -> Project:
    project.write({**BOOK, "mkdocs.yml": MKDOCS})
    os.symlink(NODE_MODULES, project.root / "node_modules")
    return project


def test_weave_writes_one_page_per_document_and_generated_pages(book: Project) -> None:
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    docs = book.root / "build" / "docs"
    for page in ["index.md", "parts/helpers.md", "parts/main.md", "chunks.md",
                 "architecture.md", "files/pkg/app.py.md",
                 "assets/javascripts/mermaid.min.js", "assets/stylesheets/litloom.css"]:
        assert (docs / page).is_file(), page


def test_references_link_to_their_definitions_across_pages(book: Project) -> None:
    loom_process("weave", cwd=book.root)
    index = book.read("build/docs/index.md")
    assert '<a class="loom-ref" href="parts/helpers.html#chunk-helpers">&lt;&lt;helpers&gt;&gt;</a>' \
        in index
    assert 'href="parts/main.html#chunk-main">&lt;&lt;main&gt;&gt;</a>' in index
    helpers = book.read("build/docs/parts/helpers.md")
    assert 'id="chunk-helpers"' in helpers and 'id="chunk-helpers-2"' in helpers
    assert "⟨helpers⟩</a> ≡" in helpers and "⟨helpers⟩</a> +≡" in helpers
    assert 'Used in <a href="../index.html#file-pkg-app-py"' in helpers
    assert 'Continued in <a href="helpers.html#chunk-helpers-2"' in helpers
    assert '→ <a href="files/pkg/app.py.html"><code>pkg/app.py</code></a>' in index


def test_sources_are_escaped_and_hidden_chunks_hidden(book: Project) -> None:
    loom_process("weave", cwd=book.root)
    main = book.read("build/docs/parts/main.md")
    assert "<script>" not in main
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in main
    assert "SECRET" not in main
    book.loom("tangle")
    assert "<script>" not in book.read("build/docs/parts/main.md")


def test_file_page_and_index(book: Project) -> None:
    loom_process("weave", cwd=book.root)
    file_page = book.read("build/docs/files/pkg/app.py.md")
    order = re.findall(r'<li><a href="([^"]+)">', file_page)
    assert order == ["../../index.html#file-pkg-app-py", "../../parts/helpers.html#chunk-helpers",
                     "../../parts/helpers.html#chunk-helpers-2", "../../parts/main.html#chunk-main"]
    assert "helper" in file_page and "[literate/index.md](../../index.md)" in file_page
    index = book.read("build/docs/chunks.md")
    assert "<tr><td><code>helper</code></td><td>function</td><td><code>pkg.app</code></td>" in index
    assert "<tr><td><code>other</code></td><td>function</td><td><code>pkg.app</code></td>" in index
    assert 'href="parts/helpers.html#chunk-helpers-2">helpers</a>' in index


def test_navigation_follows_folders_order_and_titles(book: Project) -> None:
    loom_process("weave", cwd=book.root)
    nav = json.loads(book.read("build/litloom/nav.json"))
    assert nav[0] == {"Home": "index.md"}
    assert nav[1] == {"Parts": [{"Main first": "parts/main.md"}, {"Helpers": "parts/helpers.md"}]}
    assert nav[2] == {"Files": [{"pkg/app.py": "files/pkg/app.py.md"}]}


def test_weave_is_incremental(book: Project) -> None:
    first = loom_process("weave", cwd=book.root)
    assert "0 unchanged" in first.stderr
    again = loom_process("weave", cwd=book.root)
    assert "loom weave: 0 written, 0 deleted" in again.stderr
    page = book.root / "build/docs/parts/helpers.md"
    mtime = page.stat().st_mtime_ns
    book.write({"literate/index.md": BOOK["literate/index.md"].replace("zebra", "okapi")})
    edited = loom_process("weave", cwd=book.root)
    assert "loom weave: 2 written" in edited.stderr  # the page, and the Health page's sizes
    assert page.stat().st_mtime_ns == mtime


def test_build_builds_the_site_then_skips_mkdocs_when_nothing_changed(book: Project) -> None:
    run = loom_process("build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "site rebuilt" in run.stderr
    site = book.root / "build" / "site"
    assert (site / "parts" / "helpers.html").is_file()
    html = (site / "index.html").read_text()
    assert "fonts.googleapis" not in html and "unpkg.com" not in html
    assert "assets/javascripts/mermaid.min.js" in html
    assert "assets/javascripts/litloom.js" in html
    again = loom_process("build", cwd=book.root)
    assert "site up to date" in again.stderr


def test_diagram_chunks(book: Project) -> None:
    book.write({"literate/pics.md": "# Pictures\n\n"
                + chunk(" {.python .diagram #icons}", "from diagrams import Diagram",
                        "from diagrams.programming.language import Python",
                        "with Diagram('d', show=False):", "    Python('a') >> Python('b')")
                + chunk("python", "#| diagram", "from mermaid import Mermaid",
                        "Mermaid('flowchart LR\\n  p --> q')")})
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    page = book.read("build/docs/pics.md")
    assert '<div class="loom-diagram" id="chunk-icons-diagram"><svg' in page
    assert page.count("data:image/png;base64,") == 2
    assert not re.search(r'href="/', page)
    assert '<pre class="loom-mermaid-source">flowchart LR&#10;  p --&#62; q</pre>' in page
    assert list((book.root / "build/litloom/diagrams").glob("*.json"))
    # graphviz's pad of 2 inches made this 450 pt (600 px) high, most of it blank
    height = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', page)
    assert height and float(height[1]) * 4 / 3 < 300, height


REGISTRY = "literate/registry.md"


def registry(names: str, *options: str) -> dict[str, str]:
    """A chapter tangling pkg/registry.py, with a diagram drawn from it."""
    return {REGISTRY: "# Registry\n\n"
            + chunk(" {.python file=pkg/registry.py}", f"NAMES = {names}")
            + chunk("python", "#| diagram", *options, "from mermaid import Mermaid",
                    "from pkg.registry import NAMES",
                    "Mermaid('flowchart LR\\n  ' + ' --> '.join(NAMES))")}


def test_a_diagram_with_project_imports_the_tangle_in_memory(book: Project) -> None:
    book.write(registry("('alpha', 'beta')", "#| project: true"))
    book.write({"tangled_src/pkg/registry.py": "NAMES = ('stale',)\n"})  # not what weave imports
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "alpha --&#62; beta</pre>" in book.read("build/docs/registry.md")
    cache = book.root / "build/litloom/diagrams"
    assert len(list(cache.glob("*.json"))) == 1
    book.write(registry("('alpha', 'gamma')", "#| project: true"))
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "alpha --&#62; gamma</pre>" in book.read("build/docs/registry.md")
    assert len(list(cache.glob("*.json"))) == 2  # the package changed, not the diagram's code
    book.write({"literate/parts/main.md": book.read("literate/parts/main.md") + "\nMore.\n"})
    assert loom_process("weave", cwd=book.root).exit_code == 0
    assert len(list(cache.glob("*.json"))) == 2  # prose changed, the tangle did not: cached


def test_a_diagram_without_project_cannot_import_the_package(book: Project) -> None:
    book.write(registry("('alpha', 'beta')"))
    before = book.snapshot()
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 2
    assert "literate/registry.md:6: diagram failed: ModuleNotFoundError: No module named 'pkg'" \
        in run.stderr, run.stderr
    assert book.snapshot() == before


EXAMPLE = {
    "ex/demo/pyproject.toml": '[project]\nname = "demo-example"\n\n[tool.litloom]\n',
    "ex/demo/literate/index.md": "---\ntitle: Demo example\n---\n\n# Demo\n\nSee [more](more.md).\n\n"
    + chunk(" {.python file=demo_pkg/names.py}", "NAMES = ('north', 'south')")
    + chunk("python", "#| diagram", "#| project: true", "from mermaid import Mermaid",
            "from demo_pkg.names import NAMES",
            "Mermaid('flowchart LR\\n  ' + ' --> '.join(NAMES))"),
    "ex/demo/literate/more.md": "# More\n\nBack [home](index.md).\n",
}


def test_examples_are_woven_into_the_site_under_examples(book: Project) -> None:
    book.write({**EXAMPLE, "pyproject.toml": book.read("pyproject.toml")
                + 'examples = ["ex/demo"]\n'})
    run = loom_process("build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    docs = book.root / "build/docs/examples/demo"
    assert "north --&#62; south</pre>" in (docs / "index.md").read_text()  # its own package
    for page in ("more.md", "files/demo_pkg/names.py.md", "chunks.md", "architecture.md"):
        assert (docs / page).is_file(), page
    assert (book.root / "build/site/examples/demo/more.html").is_file()
    nav = json.loads(book.read("build/litloom/nav.json"))
    [examples] = [entry["Examples"] for entry in nav if "Examples" in entry]
    assert examples == [{"Demo example": [{"Demo example": "examples/demo/index.md"},
                                          {"More": "examples/demo/more.md"},
                                          {"Files": [{"demo_pkg/names.py":
                                                      "examples/demo/files/demo_pkg/names.py.md"}]},
                                          {"Index": "examples/demo/chunks.md"},
                                          {"Architecture": "examples/demo/architecture.md"}]}]
    assert sorted(p.name for p in (book.root / "ex/demo").iterdir()) == ["literate",
                                                                          "pyproject.toml"]
    again = loom_process("build", cwd=book.root)
    assert "weave 0 written; site up to date" in again.stderr, again.stderr
    book.write({"ex/demo/literate/index.md": book.read("ex/demo/literate/index.md")
                .replace("'south'", "'east'")})
    assert loom_process("build", cwd=book.root).exit_code == 0
    assert "north --&#62; east</pre>" in (docs / "index.md").read_text()


def test_a_problem_of_an_example_is_located_in_its_folder(book: Project) -> None:
    book.write({**EXAMPLE, "pyproject.toml": book.read("pyproject.toml")
                + 'examples = ["ex/demo"]\n',
                "ex/demo/literate/more.md": "# More\n\n" + chunk("python", "#| diagram",
                                                                 "raise ValueError('nope')")})
    before = book.snapshot()
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 2
    assert "ex/demo/literate/more.md:3: diagram failed: ValueError: nope" in run.stderr, run.stderr
    assert book.snapshot() == before


def test_an_example_that_is_not_there_is_a_warning_or_strictly_an_error(book: Project) -> None:
    book.write({"pyproject.toml": book.read("pyproject.toml") + 'examples = ["nowhere"]\n'})
    said = "pyproject.toml: [tool.litloom] 'examples': 'nowhere' is not a project (no nowhere/"
    before = book.snapshot()
    run = loom_process("--strict", "weave", cwd=book.root)
    assert run.exit_code == 2 and said in run.stderr, run.stderr
    assert book.snapshot() == before
    run = loom_process("weave", cwd=book.root)  # a copy without its examples still weaves
    assert run.exit_code == 0 and said in run.stderr, run.stderr
    assert not (book.root / "build/docs/examples").exists()


@pytest.mark.parametrize(("value", "message"), [
    ('"ex/demo"', "'examples' must be a list of folders, not 'ex/demo'"),
    ('["../out"]', "'examples' must be a folder inside the project, not '../out'"),
])
def test_examples_that_are_not_projects_are_errors(book: Project, value: str, message: str) -> None:
    book.write({**EXAMPLE, "pyproject.toml": book.read("pyproject.toml") + f"examples = {value}\n"})
    before = book.snapshot()
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 2
    assert f"pyproject.toml:5: [tool.litloom] {message}" in run.stderr, run.stderr
    assert book.snapshot() == before


def test_a_diagram_chunk_keeps_its_own_pad(book: Project) -> None:
    book.write({"literate/pics.md": "# Pictures\n\n"
                + chunk(" {.python .diagram}", "from diagrams import Diagram",
                        "from diagrams.programming.language import Python",
                        "with Diagram('d', 'd', 'LR', 'ortho', 'png', False, True, False,",
                        "             {'pad': '1.0'}):", "    Python('a') >> Python('b')")})
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    height = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', book.read("build/docs/pics.md"))
    assert height and float(height[1]) > 300  # 1 inch each side, given by position, is kept


@pytest.mark.parametrize(("code", "message", "timeout"), [
    (["raise ValueError('no picture')"], "diagram failed: ValueError: no picture", 20),
    (["import time", "time.sleep(30)"], "diagram timed out after 1 s", 1),
    (["import urllib.request", "urllib.request.urlopen('http://example.com', timeout=5)"],
     "diagram failed: urllib.error.URLError", 20),
])
def test_failing_diagrams_are_located_errors(book: Project, code: list[str], message: str,
                                             timeout: int) -> None:
    book.write({"literate/pics.md": "# Pictures\n\n"
                + chunk(f" {{.python .diagram timeout={timeout}}}", *code)})
    before = book.snapshot()
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 2
    assert "literate/pics.md:3: " in run.stderr and message in run.stderr, run.stderr
    assert book.snapshot() == before


def test_a_document_may_not_take_a_generated_page(book: Project) -> None:
    book.write({"literate/chunks.md": "# Mine\n"})
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 2
    assert "literate/chunks.md: its page chunks.md would take the name of a page weaving makes" \
        in run.stderr


def test_missing_mermaid_is_a_clear_error(book: Project) -> None:
    """A project that locks its npm packages is told to run `npm ci` (this litloom, from the
    checkout, has no mermaid of its own; tests/test_packaging.py has the rest)."""
    (book.root / "node_modules").unlink()
    book.write({"package-lock.json": (REPO / "package-lock.json").read_text()})
    before = book.snapshot()
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 2
    assert "pyproject.toml: node_modules/mermaid/dist/mermaid.min.js not found" in run.stderr
    assert "npm ci" in run.stderr
    assert book.snapshot() == before


def test_litloom_own_site_builds_strictly(tmp_path: Path) -> None:
    copy = tmp_path / "litloom"
    skip = shutil.ignore_patterns("__pycache__", "build", "tangled_src", ".venv", "uv.lock")
    for name in ["literate", "tangled_src", "templates"]:
        shutil.copytree(REPO / name, copy / name, ignore=None if name == "tangled_src" else skip)
    for name in ["pyproject.toml", "mkdocs.yml"]:
        shutil.copy(REPO / name, copy / name)
    os.symlink(NODE_MODULES, copy / "node_modules")
    run = loom_process("build", cwd=copy)
    assert run.exit_code == 0, run.stderr
    # the cellular template, as an example: its diagrams drawn from its own package
    overview = (copy / "build/docs/examples/cellular/index.md").read_text()
    assert "<svg" in overview and 'gateway -- &#34;notes.add&#34; --&#62; notes' in overview
    assert (copy / "build/site/examples/cellular/gateway.html").is_file()
    assert not (copy / "templates/cellular/build").exists()
    architecture = (copy / "build/docs/architecture.md").read_text()
    blocks = [html.unescape(b) for b in re.findall(r'loom-mermaid-source">([^<]*)</pre>',
                                                    architecture)]
    nodes = re.findall(r'^    n\d+\["([^"]*)"\]$', blocks[0], re.M)
    assert "litloom.weave" in nodes and "litloom.commands" in nodes  # packages, not modules
    assert not any(n.startswith("litloom.weave.") for n in nodes)
    assert 10 <= len(nodes) <= 25, nodes
    assert '## <code>litloom.weave</code>' in architecture  # a section per package
    assert len(blocks) > 5  # its modules' diagrams
    row = next(line for line in architecture.split("\n")
               if line.startswith("| <code>litloom.commands.tangle</code>"))
    assert "<code>litloom.pipeline</code>" in row  # every import, in the package's table


def test_file_page_code_keeps_lines_in_step_with_blank_chunk_edges(book: Project) -> None:
    book.write({"literate/edge.md": chunk(" {.python file=edge.py}", "<<defs>>")
                + chunk(" {.python #defs}", "def a():", "    pass")
                + chunk(" {.python #defs}", "", "", "def b():", "    pass", "")})
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    page = book.read("build/docs/files/edge.py.md")
    code = page.split("<code>", 1)[1].split("</code>", 1)[0].split("\n")
    assert len(code) == 1 + 6  # the header, then the file (its final blank line not shown)
    assert "b" in code[5] and code[3] == code[4] == "<span></span>"


GOLDEN = Path(__file__).parent / "data" / "weave" / "book"


def test_golden_woven_markdown(book: Project) -> None:
    """The woven Markdown of BOOK, page by page; LITLOOM_UPDATE_GOLDEN=1 rewrites it."""
    assert loom_process("weave", cwd=book.root).exit_code == 0
    docs = book.root / "build" / "docs"
    got = {p.relative_to(docs).as_posix(): p.read_text() for p in sorted(docs.rglob("*.md"))}
    if os.environ.get("LITLOOM_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for page, text in got.items():
            (GOLDEN / page).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / page).write_text(text)
    expected = {p.relative_to(GOLDEN).as_posix(): p.read_text()
                for p in sorted(GOLDEN.rglob("*.md"))}
    assert got == expected


def test_a_new_project_builds_its_site(tmp_path: Path) -> None:
    assert loom_process("init", "fresh", cwd=tmp_path).exit_code == 0
    os.symlink(NODE_MODULES, tmp_path / "fresh" / "node_modules")
    run = loom_process("build", cwd=tmp_path / "fresh")
    assert run.exit_code == 0, run.stderr
    assert (tmp_path / "fresh/build/site/index.html").is_file()


def test_prose_renders_with_the_usual_extensions(book: Project) -> None:
    book.write({"literate/prose.md": "# Prose\n\n!!! note \"Careful\"\n    Inside a note.\n\n"
                "| a | b |\n|---|---|\n| 1 | 2 |\n\nA claim.[^1]\n\n[^1]: Its source.\n\n"
                "- [x] done\n- [ ] to do\n\n"
                + chunk("python", "#| echo: false", "#| chunk: quiet", "QUIET = 1")})
    run = loom_process("build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    html = book.read("build/site/prose.html")
    assert 'class="admonition note"' in html and "Inside a note." in html
    assert "<table>" in html and 'class="footnote"' in html
    assert "task-list-item" in html
    assert "QUIET" not in html


DOCTESTS = ("# Examples\n\nRight after a line of prose:\n>>> 1 + 1\n2\n>>> print('*a* `b`')\n"
            "*a* `b`\n\n- In a list item:\n\n    >>> 2 * 3\n    6\n\n"
            "An indented block is code already:\n\n    >>> 'as is'\n    'as is'\n\n"
            "Right before a chunk:\n\n>>> 'x'\n'x'\n" + chunk(" {.python #after}", "X = 1")
            + "\n" + chunk("pycon", ">>> 'a chunk'", "'a chunk'", ""))


def test_prose_doctests_are_shown_as_code(book: Project) -> None:
    book.write({"literate/examples.md": DOCTESTS})
    run = loom_process("build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    page = book.read("build/docs/examples.md")
    assert "prose:\n\n```pycon\n>>> 1 + 1\n2\n>>> print('*a* `b`')\n*a* `b`\n```\n\n- In" in page
    assert "item:\n\n    ```pycon\n    >>> 2 * 3\n    6\n    ```\n\nAn" in page
    assert "already:\n\n    >>> 'as is'\n    'as is'\n\n" in page  # a fence here would show
    assert "chunk:\n\n```pycon\n>>> 'x'\n'x'\n```\n\n<div class=\"loom-chunk\" id=\"chunk-after" in page
    html = book.read("build/site/examples.html")
    assert "<blockquote>" not in html and "```" not in html
    assert html.count('<span class="gp">&gt;&gt;&gt; </span>') == 5
    assert book.read("literate/examples.md") == DOCTESTS
    tests = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                            "literate/examples.md"], cwd=book.root, capture_output=True, text=True)
    assert "1 passed" in tests.stdout, tests.stdout  # the same doctests, unchanged


def test_test_chunks_are_marked_as_tests(book: Project) -> None:
    book.write({"literate/checks.md": "# Checks\n\n"
                + chunk(" {.python .test #helper-is-one}", "from pkg.app import helper",
                        "assert helper() == 1")
                + chunk("python", "#| test: true", "assert True")
                + chunk(" {.bash .test}", "echo not a pytest test")})
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    page = book.read("build/docs/checks.md")
    heads = re.findall(r'<div class="([^"]+)" id="[^"]+" markdown="0">\n'
                       r'<div class="loom-chunk-head">(.*)</div>', page)
    assert heads[0][0] == heads[1][0] == "loom-chunk loom-test-chunk"
    assert ('<span class="loom-test" title="a test: loom test runs it">test</span> '
            '<code class="loom-test-id">literate/checks.md::helper-is-one</code>') in heads[0][1]
    assert "literate/checks.md::line7</code>" in heads[1][1]  # pytest's name for it
    assert heads[2][0] == "loom-chunk" and "loom-test" not in heads[2][1]  # bash: not run
    helpers = book.read("build/docs/parts/helpers.md")
    assert "loom-test" not in helpers


def test_the_index_names_files_by_their_path_linked_to_their_page(book: Project) -> None:
    book.write({"literate/package.md": "# Package\n\n"
                + chunk(" {.python file=pkg/__init__.py}", '"""The package."""', "NAME = 'pkg'",
                        "<<version>>")
                + chunk(" {.python #version}", "VERSION = '1'")})
    run = loom_process("build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    index = book.read("build/docs/chunks.md")
    assert "file:" not in index
    init = '<a href="files/pkg/__init__.py.html"><code>pkg/&#95;&#95;init&#95;&#95;.py</code></a>'
    assert '<tr><td><a href="package.html#chunk-version">version</a></td>' in index
    assert index.count(init) == 3  # its row, where it uses version, where NAME is defined
    assert f"<tr><td>{init}</td>" in index
    assert f"<td>name</td><td><code>pkg</code></td><td>{init}</td></tr>\n" in index
    app = '<a href="files/pkg/app.py.html"><code>pkg/app.py</code></a>'
    cell = r"<td>(?:(?!</td>).)*</td>"
    row = rf"<tr><td><a href=\"[^\"]*#chunk-helpers\">helpers</a></td>{cell}"
    assert re.search(rf"{row}<td>{re.escape(app)}</td></tr>", index)
    page = book.read("build/site/chunks.html")
    assert "<strong>" not in page and "<em>" not in page
    assert html.unescape(page).count("pkg/__init__.py</code>") == 3
    searched = json.loads(book.read("build/site/search/search_index.json"))["docs"]
    pages = {entry["location"].partition("#")[0] for entry in searched}
    assert "package.html" in pages  # the chapters are searched; the file pages and index not
    assert not [p for p in pages if p.startswith("files/") or p == "chunks.html"], pages
INVALID = "# Bad\n\nSome prose.\n\n```mermaid\nflowchart LR\n    a --> b -->\n```\n"


def test_invalid_mermaid_is_a_warning_at_its_line(book: Project) -> None:
    book.write({"literate/bad.md": INVALID})
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "literate/bad.md:7: invalid mermaid: Parse error: Expecting " in run.stderr
    assert run.stderr.count("invalid mermaid") == 1  # the valid diagram of parts/main.md is not
    page = book.read("build/docs/bad.md")  # the page still shows it, for the browser's error
    assert 'loom-mermaid-source">flowchart LR&#10;    a --&#62; b --&#62;</pre>' in page


def test_invalid_mermaid_with_strict_is_an_error_and_nothing_is_written(book: Project) -> None:
    book.write({"literate/bad.md": INVALID})
    before = book.snapshot()
    run = loom_process("--strict", "weave", cwd=book.root)
    assert run.exit_code == 2
    assert "literate/bad.md:7: invalid mermaid: Parse error: Expecting " in run.stderr
    assert "loom: 1 error; nothing was written" in run.stderr
    assert book.snapshot() == before


def test_a_diagram_mermaid_cannot_place_is_located_at_its_fence(book: Project) -> None:
    book.write({"literate/bad.md": "# Bad\n\n```mermaid\n%% a comment\nflowchart LR\n"
                "    a --> b -->\n```\n\n```mermaid\nnot a diagram\n```\n"})
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "literate/bad.md:3: invalid mermaid: Parse error: " in run.stderr  # a comment moves
    assert "literate/bad.md:9: invalid mermaid: No diagram type detected" in run.stderr


def test_invalid_mermaid_from_a_diagram_chunk_is_located_at_the_chunk(book: Project) -> None:
    book.write({"literate/pics.md": "# Pictures\n\n"
                + chunk("python", "#| diagram", "from mermaid import Mermaid",
                        "Mermaid('flowchart LR\\n  p --> ')")})
    run = loom_process("weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "literate/pics.md:3: invalid mermaid: Parse error: " in run.stderr


def test_mermaid_is_parsed_once_then_taken_from_the_cache(book: Project, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    shim = tmp_path / "bin" / "node"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\necho run >> {calls}\nexec {shutil.which("node")} "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{shim.parent}:{os.environ['PATH']}"}
    book.write({"literate/bad.md": INVALID})
    unsafe = loom_process("-v", "weave", "--no-exec", cwd=book.root, env=env)
    assert not calls.exists()  # --no-exec runs no code, node and mermaid included
    assert "mermaid check skipped (--no-exec runs no code" in unsafe.stderr
    first = loom_process("weave", cwd=book.root, env=env)
    assert "invalid mermaid" in first.stderr and calls.read_text() == "run\n"
    again = loom_process("weave", cwd=book.root, env=env)
    assert "literate/bad.md:7: invalid mermaid" in again.stderr  # told again, from the cache
    assert calls.read_text() == "run\n"  # node did not run again


def test_without_mermaid_s_parser_nothing_is_checked_and_v_says_why(book: Project) -> None:
    (book.root / "node_modules").unlink()
    (book.root / "vendor").mkdir()
    shutil.copy(MERMAID, book.root / "vendor" / "mermaid.min.js")  # as a wheel ships it: alone
    book.write({"literate/bad.md": INVALID,
                "pyproject.toml": '[tool.litloom]\nmermaid_js = "vendor/mermaid.min.js"\n'})
    run = loom_process("-v", "weave", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "invalid mermaid" not in run.stderr
    assert "mermaid check skipped (no mermaid.core.mjs beside mermaid.min.js" in run.stderr
