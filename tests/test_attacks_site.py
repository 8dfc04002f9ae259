"""Attacks on the site (issue 11, items 5 and 14): names that try to become markup, links that
try to become `javascript:`, and requests that come for another host (DNS rebinding).

Every hostile name below is one attack; each must leave no script running in the built site,
no `javascript:` link, no inline event handler, and no broken link.
"""

from __future__ import annotations

import html
import html.parser
import json
import os
import posixpath
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from test_weave import MERMAID, MKDOCS

from conftest import NODE_MODULES, PYPROJECT, Project, chunk, loom_process

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_site = pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)")
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")

# ---------------------------------------------------------------------------------------------
# Target names that would need escaping are refused, at their chunk, with nothing written.

UNSAFE_TARGETS = [
    "pkg/b<svg/onload=alert(1)>.py",  # the issue's own
    "pkg/b>.py",
    'pkg/"q.py',
    "pkg/it's.py",
    "pkg/`whoami`.py",
    "pkg/a|b.py",
    "pkg/a\x07b.py",  # BEL: a control character
    "pkg/a\x1b[31mb.py",  # a terminal escape sequence
    "pkg/a\x85b.py",  # NEL, a C1 line break
    "pkg/a\u2028b.py",  # a line separator
    "pkg/evil\u202eyp.py",  # a right-to-left override: shows as "evilyp.py" reversed
    "pkg/a\u200bb.py",  # a zero-width space: looks like pkg/ab.py
]


@pytest.mark.parametrize("target", UNSAFE_TARGETS, ids=ascii)
@pytest.mark.parametrize("spelling", ["braces", "option"])
def test_a_target_that_needs_escaping_is_refused(
    project: Project, target: str, spelling: str
) -> None:
    if spelling == "braces":
        quoted = f'"{target}"' if '"' not in target else f"'{target}'"
        block = chunk(f"python {{file={quoted}}}", "x = 1", fence="~~~")
    else:
        block = chunk("python", f"#| file: {target}", "x = 1")
    project.write({"literate/index.md": "# Home\n\n" + block})
    before = project.snapshot()
    for command in ("tangle", "build"):
        run = project.loom(command)
        assert run.exit_code == 2, (command, run.stderr)
        assert "literate/index.md:3: file=" in run.stderr, run.stderr
        assert "which a target may not" in run.stderr
        assert project.snapshot() == before


@pytest.mark.parametrize("target", ["pages/[id].tsx", "R&D/a b.py", "x#1.py", "100%.txt", "é.py"])
def test_a_target_with_brackets_ampersands_or_spaces_is_allowed(
    project: Project, target: str
) -> None:
    project.write({"literate/index.md": chunk(f'python {{file="{target}"}}', "x = 1")})
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert (project.root / "tangled_src" / target).is_file()


@pytest.mark.parametrize("name, language, target", [
    ('x\nprint("INJECTED")\n#.md', "python", "m.py"),  # a line break ends a # comment
    ("x\rprint('INJECTED')\r#.md", "python", "m.py"),  # so does a carriage return, for Python
    ("a*/ body{display:none} /*.md", "css", "m.css"),  # the end of a CSS comment
])
def test_a_chapter_name_cannot_put_code_into_the_header(
    project: Project, name: str, language: str, target: str
) -> None:
    """Not the site, but the same attack: a chapter's name is shown in every file's header."""
    project.write({f"literate/{name}": chunk(f"{language} {{file={target}}}", "x = 1")})
    assert project.loom("tangle").exit_code == 0
    header, *code = project.tangled()[target].split("\n")
    assert code == ["x = 1", ""], code
    if language == "css":
        assert header.count("*/") == 1 and header.endswith("*/")


# ---------------------------------------------------------------------------------------------
# A hostile project, built with `loom build`: every name tries to become markup or a link.

HOSTILE = {
    # a tangled file whose path needs escaping in a URL, in Markdown and in HTML, but is allowed
    "literate/index.md": "---\ntitle: Home\n---\n\n# Home\n\n"
    + chunk(' {.python file="pkg/R&D [id] #1 100%.py"}', "<<dee>>", "<<x](javascript:alert(8))[y>>"),
    "literate/d<img src=x onerror=alert(2)>.md": "# D\n\n" + chunk(" {.python #dee}", "y = 2"),
    "literate/a](javascript:alert(7))[b.md": "# A\n\n" + chunk(" {.python #aaa}", "z = 3"),
    "literate/javascript:alert(4).md": "# J\n\n" + chunk(" {.python #jjj}", "<<dee>>"),
    "literate/t.md": "---\n"
    'title: "<img src=x onerror=alert(3)>"\n'
    "description: '\"><script>alert(5)</script>'\n"
    'subtitle: "<img src=x onerror=alert(6)>"\n'
    "---\n\n# T\n\n"
    + chunk(" {.python #x](javascript:alert(8))[y}", "v = 5")
    + "\n"
    + chunk("python", "#| chunk: q\"onmouseover=alert(9) x='|`[z](javascript:alert(10))`", "u = 6")
    + "\n- in a list:\n\n"
    + "  "
    + chunk(" {.python #in-a-list}", "<<aaa>>").replace("\n", "\n  ").rstrip()
    + "\n",
    "literate/<svg onload=alert(11)>/x.md": "# X\n\nA folder's name in the navigation.\n",
    "literate/n\n\n[x](javascript:alert(12))\n.md": "# N\n\n" + chunk(" {.python #nnn}", "n = 1"),
    "literate/s<svg onload=alert(13)>.py": "# %% [markdown]\n# A percent script\n\n# %%\ns = 1\n",
    "literate/&lt;img src=x onerror=alert(14)&gt;.md": "# E\n\nAn entity in a file name.\n",
    "literate/%3Cimg src=x onerror=alert(22)%3E.md": "# P\n\nA percent-escape in a file name.\n",
    "literate/javascript:alert(23)/index.md": "# F\n\n" + chunk(" {.python #fff}", "<<aaa>>"),
    "literate/u.md": "---\ntitle: '</title><script>alert(24)</script>'\n---\n\n# U\n",
    "literate/v.md": "---\ntitle: ''\n---\n\n# V\n\nAn empty title: the file's name is used.\n"
    + chunk("py<img/src/x/onerror=alert(26)>", "a language no lexer knows")
    + "\n> a quote:\n>\n> " + chunk("py<img/src/x/onerror=alert(27)>", "q").replace("\n", "\n> "),
    "literate/w<img src=x onerror=alert(25)>.ipynb": json.dumps({
        "cells": [{"cell_type": "code", "source": "w = 1", "metadata": {}, "outputs": [],
                   "execution_count": None}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
    "mkdocs.yml": MKDOCS,
    "pyproject.toml": PYPROJECT,
}
RUN = {  # a run record, as `loom run` leaves it, whose every field is hostile
    "runbook": "r<img src=x onerror=alert(15)>](javascript:alert(16))",
    "source": "literate/`<img src=x onerror=alert(17)>`.md",
    "status": "<b onmouseover=alert(18)>",
    "start": "[s](javascript:alert(19))",
    "parameters": {"p": "[x](javascript:alert(20))", "q": "<img src=x onerror=alert(21)>"},
    "duration": 1.0,
}
ATTACKS = 27  # the alert numbers above: each is one attempt to run script


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MERMAID.exists():
        pytest.skip("needs `npm ci` (scripts/setup)")
    root = tmp_path_factory.mktemp("hostile") / "proj"
    root.mkdir()
    Project(root).write(HOSTILE)
    record = root / "build/runs/deploy/20261129T070000Z.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps(RUN))
    os.symlink(NODE_MODULES, root / "node_modules")
    run = loom_process("build", cwd=root)
    assert run.exit_code == 0, run.stderr
    return root


def _pages(root: Path) -> list[str]:
    site = root / "build/site"
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).as_posix().startswith("assets/")
    )


@needs_site
def test_every_hostile_name_has_its_page(hostile: Path) -> None:
    pages = _pages(hostile)
    for document in HOSTILE:
        if document.startswith("literate/"):
            page = document.removeprefix("literate/").removesuffix(".md")
            page += ".html"
            assert page in pages, page
    assert "files/pkg/R&D [id] #1 100%.py.html" in pages
    assert "runs/deploy/20261129T070000Z.html" in pages
    shown = "".join(html.unescape((hostile / "build/site" / p).read_text()) for p in pages)
    missing = [n for n in range(2, ATTACKS + 1) if f"alert({n})" not in shown]
    assert missing == []  # every attack reached the site, as text


@needs_site
def test_the_navigation_holds_titles_as_escaped_html(hostile: Path) -> None:
    nav = json.loads((hostile / "build/litloom/nav.json").read_text())

    def titles(entries: list) -> list[str]:
        found = []
        for entry in entries:
            for title, value in entry.items():
                found.append(title)
                if isinstance(value, list):
                    found += titles(value)
        return found

    shown = titles(nav)
    assert "&lt;img src=x onerror=alert(3)&gt;" in shown
    assert "&lt;svg onload=alert(11)&gt;" in shown
    assert all("<" not in title and ">" not in title for title in shown), shown


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":  # as browsers read it: text up to </title>, never tags
            self.set_cdata_mode(tag)
        self.tag = tag
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if tag == "a" and name == "href" and value:
                self.links.append(value)
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")


    def handle_endtag(self, tag: str) -> None:
        self.tag = ""

    def handle_data(self, data: str) -> None:
        if getattr(self, "tag", "") == "script" and "alert(" in data:
            self.handlers.append(f"<script>{data}</script>")


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@needs_site
def test_no_page_holds_a_javascript_link_or_an_event_handler(hostile: Path) -> None:
    site = hostile / "build/site"
    for page in _pages(hostile):
        parsed = _parse(site / page)
        assert parsed.handlers == [], (page, parsed.handlers)
        schemes = [urlsplit(link.strip()).scheme.lower() for link in parsed.links]
        assert "javascript" not in schemes, (page, parsed.links)


@needs_site
def test_every_link_of_the_site_lands_on_a_page_and_its_anchor(hostile: Path) -> None:
    site = hostile / "build/site"
    parsed = {page: _parse(site / page) for page in _pages(hostile)}
    broken = []
    for page, found in parsed.items():
        for link in found.links:
            parts = urlsplit(urljoin(quote(page), link))
            if parts.scheme or parts.netloc:
                continue  # the theme's links to mkdocs-material and the like
            target = posixpath.normpath(unquote(parts.path)).lstrip("/") if parts.path else page
            if not (site / target).is_file() and not (site / target / "index.html").is_file():
                broken.append((page, link))
            elif parts.fragment.startswith(("chunk-", "file-")):
                if unquote(parts.fragment) not in parsed[target].ids:
                    broken.append((page, link))
    assert broken == [], broken


@needs_site
@needs_chromium
@pytest.mark.slow  # every page of the site, in chromium: about 7 s
def test_no_hostile_name_runs_script_in_a_browser(hostile: Path) -> None:
    """Every page, opened in headless chromium: no dialog opens, no link is `javascript:`."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from playwright.sync_api import sync_playwright

    handler = lambda *a, **k: SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(hostile / "build/site"), **k
    )
    SimpleHTTPRequestHandler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    dialogs: list[str] = []
    found: dict[str, list[str]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update"])
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            for path in _pages(hostile):
                page.goto(f"{base}/{quote(path)}", wait_until="load")  # after images' errors
                bad = page.evaluate(_EVENT_HANDLERS_AND_JAVASCRIPT_URLS)
                if bad:
                    found[path] = bad
            page.goto(f"{base}/index.html")  # the search index holds every name and title
            search = page.locator("input.md-search__input")
            search.click()
            search.press_sequentially("src", delay=20)
            page.locator(".md-search-result__item").first.wait_for(timeout=15000)
            results = page.locator(".md-search-result").inner_text()
            if bad := page.evaluate(_EVENT_HANDLERS_AND_JAVASCRIPT_URLS):
                found["search"] = bad
            browser.close()
    finally:
        server.shutdown()
    assert (dialogs, found) == ([], {})
    assert "onerror=alert(" in results  # the search found hostile names, and showed them as text


_EVENT_HANDLERS_AND_JAVASCRIPT_URLS = """() => [
    ...[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
        .filter(a => a.name.startsWith('on')
            || (/^(href|src|action|formaction|xlink:href)$/.test(a.name)
                && a.value.trim().toLowerCase().startsWith('javascript:')))
        .map(a => e.tagName + ' ' + a.name + '=' + a.value)),
    ...[...document.links].filter(a => a.protocol === 'javascript:').map(a => 'link ' + a.href),
    ...[...document.scripts].filter(s => s.text.includes('alert(')).map(s => 'script ' + s.text),
]"""


@needs_site
@pytest.mark.parametrize("value", [
    "template: ../../../../etc/passwd", "template: nope.html", "template: 5", "hide: 5",
    'icon: "../../../etc/passwd"', "icon: nope/none",
])
def test_a_front_matter_value_the_theme_fails_on_is_a_located_error(
    project: Project, value: str
) -> None:
    """mkdocs-material keys pass through to the theme; one it cannot use is the page's error."""
    project.write({"literate/index.md": "# Home\n", "literate/bad.md": f"---\n{value}\n---\n# B\n",
                   "mkdocs.yml": MKDOCS})
    os.symlink(NODE_MODULES, project.root / "node_modules")
    run = project.loom("build")
    assert run.exit_code == 2, run.stderr
    assert "literate/bad.md:1: mkdocs could not build the site" in run.stderr


# ---------------------------------------------------------------------------------------------
# `loom serve` answers only for its own host names (DNS rebinding).


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """`loom serve` of a small project, with one more name allowed; its port."""
    if not MERMAID.exists():
        pytest.skip("needs `npm ci` (scripts/setup)")
    root = tmp_path_factory.mktemp("served") / "proj"
    root.mkdir()
    Project(root).write({"literate/index.md": "# Home\n\nprivate\n", "mkdocs.yml": MKDOCS,
                         "pyproject.toml": PYPROJECT})
    os.symlink(NODE_MODULES, root / "node_modules")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    loom = Path(sys.executable).with_name("loom")
    server = subprocess.Popen([str(loom), "serve", "--port", str(port), "--allow-host",
                               "Proj.test"], cwd=root, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while " 200 " not in _raw(port, f"127.0.0.1:{port}").split("\r\n", 1)[0]:
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "loom serve did not start"
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _raw(port: int, host: str | None, path: str = "/index.html", method: str = "GET") -> str:
    """The answer to a request sent byte for byte, with `host` as its Host header (or headers,
    one a line)."""
    head = f"{method} {path} HTTP/1.1\r\n"
    for line in [] if host is None else host.split("\n"):
        head += f"Host: {line}\r\n"
    head += "Connection: close\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(head.encode("latin-1"))
            answer = b""
            while part := connection.recv(65536):
                answer += part
    except ConnectionRefusedError:
        return ""  # not listening yet
    return answer.decode("latin-1")


@pytest.mark.parametrize("host", [
    "evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}",
    "localhost:{other}", "127.0.0.1:{other}", "localhost.evil.example:{port}",
    "evil.example:{port}@127.0.0.1", "", "[::1]:{port}", "0.0.0.0:{port}",
    "127.0.0.2:{port}", "proj.test.evil:{port}",
    "127.0.0.1:{port}\nevil.example:{port}", "evil.example:{port}\n127.0.0.1:{port}",
])
@pytest.mark.parametrize("path", ["/index.html", "/__loom/generation", "/"])
def test_serve_refuses_another_host(served: int, host: str, path: str) -> None:
    answer = _raw(served, host.format(port=served, other=served + 1), path)
    assert answer.startswith("HTTP/1.0 403") or answer.startswith("HTTP/1.1 403"), answer[:80]
    assert "private" not in answer


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_serve_refuses_a_request_without_host(served: int, method: str) -> None:
    answer = _raw(served, None, method=method)
    assert " 403 " in answer.split("\r\n", 1)[0], answer[:80]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}",
                                  "proj.test:{port}"])
def test_serve_answers_its_own_host(served: int, host: str) -> None:
    answer = _raw(served, host.format(port=served))
    assert " 200 " in answer.split("\r\n", 1)[0], answer[:80]
    assert "private" in answer


# ---------------------------------------------------------------------------------------------
# `loom serve` on a port it cannot have, or on any free port.


def test_serve_on_a_port_in_use_says_so_and_how_to_choose(project: Project) -> None:
    """Said before any build (nothing is written), as a located user error, not an OSError."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = project.snapshot()
        run = loom_process("serve", "--port", str(port), cwd=project.root)
    assert run.exit_code == 2, run.stderr
    assert run.stderr.startswith(
        f"loom serve --port {port}: cannot listen on 127.0.0.1:{port}: the port is in use (by "
        "another loom serve, or another server); choose another port with --port N, or --port 0 "
        "for any free one\n"), run.stderr
    assert "Traceback" not in run.stderr and "bug" not in run.stderr
    assert project.snapshot() == before


@pytest.mark.parametrize("port", ["65536", "-1", "http"])
def test_serve_refuses_a_port_that_is_none(project: Project, port: str) -> None:
    run = loom_process("serve", "--port", port, cwd=project.root)
    assert run.exit_code == 2 and "Invalid value for '--port'" in run.stderr, run.stderr


def test_serve_answers_503_until_the_first_build(tmp_path: Path) -> None:
    from litloom.weave.serve import make_server

    (tmp_path / "index.html").write_text("<body>built</body>")
    server = make_server(None, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        assert " 503 " in _raw(port, f"127.0.0.1:{port}").split("\r\n", 1)[0]
        assert " 403 " in _raw(port, f"evil.example:{port}").split("\r\n", 1)[0]  # Host first
        server.site = tmp_path
        answer = _raw(port, f"127.0.0.1:{port}")
        assert " 200 " in answer.split("\r\n", 1)[0] and "built" in answer
    finally:
        server.shutdown()
        server.server_close()


@needs_site
def test_serve_on_port_0_says_the_port_it_got(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    Project(root).write({"literate/index.md": "# Home\n\nanywhere\n", "mkdocs.yml": MKDOCS,
                         "pyproject.toml": PYPROJECT})
    os.symlink(NODE_MODULES, root / "node_modules")
    loom = Path(sys.executable).with_name("loom")
    server = subprocess.Popen([str(loom), "serve", "--port", "0"], cwd=root,
                              stderr=subprocess.PIPE, text=True)
    try:
        said = ""
        while "http://" not in said:
            line = server.stderr.readline()
            assert line, f"loom serve ended: {said}"
            said += line
        port = int(said.split("http://127.0.0.1:")[1].split("/")[0])
        assert port > 0
        answer = _raw(port, f"127.0.0.1:{port}")
        assert " 200 " in answer.split("\r\n", 1)[0] and "anywhere" in answer
    finally:
        server.terminate()
        server.wait(timeout=10)
