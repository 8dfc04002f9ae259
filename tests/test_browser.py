"""The built site in a real browser (Debian's chromium, driven by Playwright), and loom serve."""

from __future__ import annotations

import functools
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_weave import BOOK, MERMAID, MKDOCS

from conftest import REPO, Project, chunk, loom_process

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/setup)"),
    pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)"),
]
LONG = "x = '" + "y" * 144 + "'"  # a line of 150 characters
WIDE = ("# Wide\n\nA long line:\n\n" + chunk(" {.python #wide}", LONG)
        + "\n- In a list item:\n\n    " + chunk(" {.python #wide-in-a-list}", LONG).replace("\n", "\n    ")
        + "\n" + chunk(" {.python file=pkg/wide.py}", "<<wide>>"))
PICTURE = "# Pictures\n\n" + chunk(
    " {.python .diagram #icons}", "from diagrams import Diagram",
    "from diagrams.programming.language import Python",
    "with Diagram('d', show=False):", "    Python('a') >> Python('b')")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("site") / "proj"
    project = Project(root)
    root.mkdir()
    project.write({**BOOK, "literate/pics.md": PICTURE, "literate/wide.md": WIDE,
                   "mkdocs.yml": MKDOCS,
                   "pyproject.toml": '[project]\nname = "demo"\n\n[tool.litloom]\n'})
    os.symlink(REPO / "node_modules", root / "node_modules")
    _a_recorded_run(root / "build" / "runs" / "zebra")
    run = loom_process("build", cwd=root)
    assert run.exit_code == 0, run.stderr
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root / "build/site"))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _a_recorded_run(folder: Path) -> None:
    """A run as `loom run` records it, without running a kernel: its record and notebook."""
    import nbformat

    folder.mkdir(parents=True)
    stamp = "20260101T000000Z"
    record = {"runbook": "zebra", "source": "literate/index.md", "status": "succeeded",
              "start": "2026-01-01T00:00:00+00:00", "duration": 0.5, "parameters": {},
              "notebook": f"{stamp}.ipynb"}
    (folder / f"{stamp}.json").write_text(json.dumps(record))
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Zebra run\n\nThe zebra steps, as they ran."),
        nbformat.v4.new_code_cell("print('y' * 150)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="y" * 150 + "\n")])])
    nbformat.write(notebook, folder / f"{stamp}.ipynb")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    outside = [url for url in page.requests
               if not url.startswith(site) and not url.startswith(("data:", "blob:"))]
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    page.close()


def test_navigation_works(page, site) -> None:
    page.goto(f"{site}/index.html")
    page.get_by_role("link", name="Helpers", exact=True).first.click()
    page.wait_for_url("**/parts/helpers.html")
    assert page.locator("h1").inner_text().startswith("Helpers")


def test_a_reference_link_lands_on_its_definition(page, site) -> None:
    page.goto(f"{site}/index.html")
    page.locator("a.loom-ref", has_text="<<helpers>>").click()
    page.wait_for_url("**/parts/helpers.html#chunk-helpers")
    definition = page.locator("#chunk-helpers")
    assert definition.is_visible()
    box = definition.bounding_box()
    assert box is not None and 0 <= box["y"] < 900  # scrolled into view


def test_mermaid_renders_with_nonzero_size(page, site) -> None:
    page.goto(f"{site}/parts/main.html")
    # Material replaces the <pre class="mermaid"> by a <div> whose closed shadow root holds
    # the drawing: the DOM inside cannot be read, so the element is measured.
    page.wait_for_function("() => { const e = document.querySelector('div.mermaid');"
                           " return e && e.getBoundingClientRect().height > 20; }",
                           timeout=15000)
    box = page.locator("div.mermaid").first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0


def test_diagrams_svg_shows_its_icons(page, site) -> None:
    page.goto(f"{site}/pics.html")
    images = page.locator(".loom-diagram svg image")
    assert images.count() == 2
    for index in range(images.count()):
        image = images.nth(index)
        assert (image.get_attribute("xlink:href") or image.get_attribute("href")
                or "").startswith("data:image/png;base64,")
        box = image.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0


def test_search_finds_a_word(page, site) -> None:
    page.goto(f"{site}/parts/main.html")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("zebra", delay=30)  # keystrokes: what Material listens to
    result = page.locator(".md-search-result__item").first
    result.wait_for(timeout=15000)
    assert "Home" in result.inner_text()


REACHABLE = """(element) => {
    // The end of the element's text is visible once the element is scrolled to its end.
    const style = getComputedStyle(element);
    const scrolls = element.scrollWidth > element.clientWidth;
    element.scrollLeft = element.scrollWidth;
    const range = document.createRange();
    range.selectNodeContents(element);
    const end = range.getBoundingClientRect().right;
    const box = element.getBoundingClientRect();
    const column = element.closest(".md-content").getBoundingClientRect();
    return {scrolls, overflow: style.overflowX, wraps: style.whiteSpace.startsWith("pre-wrap"),
            inside: box.right <= column.right + 1, seen: end <= box.right + 1};
}"""


@pytest.mark.parametrize(("address", "selector"), [
    ("wide.html", "#chunk-wide code"),
    ("wide.html", "#chunk-wide-in-a-list code"),
    ("files/pkg/wide.py.html", ".highlight code"),
    ("runs/zebra/20260101T000000Z.html", "pre.loom-output"),
])
@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_line_can_be_read_to_its_end(page, site, address: str, selector: str,
                                            width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/{address}")
    element = page.locator(selector).first
    assert "y" * 144 in element.inner_text()
    found = element.evaluate(REACHABLE)
    assert found["inside"], found  # it does not spill out of the column, cut off by the page
    assert found["wraps"] or (found["scrolls"] and found["overflow"] in ("auto", "scroll")), found
    assert found["seen"], found  # scrolled (or wrapped), its last character is in view


def test_run_pages_rank_below_the_chapters(page, site) -> None:
    page.goto(f"{site}/index.html")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("zebra", delay=30)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15000)
    page.wait_for_timeout(500)
    links = [results.nth(i).locator("a").first.get_attribute("href")
             for i in range(results.count())]
    assert any("runs/zebra/" in link for link in links), links  # the run is found,
    assert "runs/" not in links[0], links  # but after the chapter


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_loom_serve_rebuilds_and_reloads(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    project = Project(root)
    root.mkdir()
    project.write({**BOOK, "mkdocs.yml": MKDOCS,
                   "pyproject.toml": '[project]\nname = "demo"\n\n[tool.litloom]\n'})
    os.symlink(REPO / "node_modules", root / "node_modules")
    port = _free_port()
    loom = Path(sys.executable).with_name("loom")
    server = subprocess.Popen([str(loom), "serve", "--port", str(port)], cwd=root,
                              stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = urllib.request.urlopen(f"{base}/index.html", timeout=2).read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "loom serve did not start"
                time.sleep(0.3)
        assert "zebra" in page and "/__loom/generation" in page
        rebinding = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        rebinding.putrequest("GET", "/index.html", skip_host=True)
        rebinding.putheader("Host", f"evil.example:{port}")  # a DNS-rebinding page's request
        rebinding.endheaders()
        assert rebinding.getresponse().status == 403
        rebinding.close()
        generation = urllib.request.urlopen(f"{base}/__loom/generation").read()
        project.write({"literate/index.md": BOOK["literate/index.md"].replace("zebra", "okapi")})
        while urllib.request.urlopen(f"{base}/__loom/generation").read() == generation:
            assert time.monotonic() < deadline + 60, "loom serve did not rebuild"
            time.sleep(0.3)
        assert "okapi" in urllib.request.urlopen(f"{base}/index.html").read().decode()
        assert not (root / "build/site/index.html").read_text().count("/__loom/generation")
    finally:
        server.terminate()
        server.wait(timeout=10)
