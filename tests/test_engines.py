"""The site engines: mkdocs and Zensical build the same build/docs (literate/weave/engines.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_weave import BOOK, MERMAID, MKDOCS

from conftest import NODE_MODULES, Project, loom_process

pytestmark = pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)")


def _settings(engine: str) -> str:
    return f'[project]\nname = "demo"\n\n[tool.litloom]\nengine = "{engine}"\n'


@pytest.fixture
def book(project: Project) -> Project:
    project.write({**BOOK, "mkdocs.yml": MKDOCS, "pyproject.toml": _settings("zensical")})
    os.symlink(NODE_MODULES, project.root / "node_modules")
    return project


def test_zensical_builds_the_site_from_the_woven_pages(book: Project) -> None:
    run = loom_process("-v", "build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "site (zensical," in run.stderr
    site = book.root / "build" / "site"
    html = (site / "parts" / "helpers.html").read_text()
    assert "chunk-helpers" in html  # the woven page, with its chunks
    index = (site / "index.html").read_text()
    assert "assets/javascripts/mermaid.min.js" in index and "litloom.js" in index
    assert "fonts.googleapis" not in index and "unpkg.com" not in index
    settings = json.loads(book.read("build/zensical.yml"))
    assert settings["INHERIT"] == "../mkdocs.yml" and settings["use_directory_urls"] is False
    assert settings["nav"] == json.loads(book.read("build/litloom/nav.json"))
    again = loom_process("build", cwd=book.root)
    assert "site up to date" in again.stderr


def test_changing_the_engine_rebuilds_the_site(book: Project) -> None:
    assert loom_process("build", cwd=book.root).exit_code == 0
    book.write({"pyproject.toml": _settings("mkdocs")})
    run = loom_process("-v", "build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "site (mkdocs," in run.stderr and "site rebuilt" in run.stderr


def test_loom_site_engine_overrides_the_setting(book: Project) -> None:
    book.write({"pyproject.toml": _settings("mkdocs")})
    assert loom_process("weave", cwd=book.root).exit_code == 0
    run = loom_process("site", "--engine", "zensical", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert (book.root / "build" / "zensical.yml").is_file()  # Zensical made this site
    assert (book.root / "build" / "site" / "parts" / "main.html").is_file()


def test_an_unknown_engine_is_located_and_nothing_is_written(book: Project) -> None:
    book.write({"pyproject.toml": _settings("hugo")})
    before = book.snapshot()
    run = loom_process("build", cwd=book.root)
    assert run.exit_code == 2
    message = "pyproject.toml:5: [tool.litloom] 'engine' must be one of ('mkdocs', 'zensical'), "
    assert message + "not 'hugo'" in run.stderr
    assert book.snapshot() == before


def test_a_zensical_failure_is_a_user_error_at_mkdocs_yml(book: Project) -> None:
    assert loom_process("weave", cwd=book.root).exit_code == 0
    book.write({"mkdocs.yml": "theme:\n  name: material\n"})  # no site_name
    before = {k: v for k, v in book.snapshot().items() if not k.startswith("build/")}
    run = loom_process("site", cwd=book.root)
    assert run.exit_code == 2, run.stderr
    assert "mkdocs.yml: zensical failed: " in run.stderr and "site_name" in run.stderr
    assert "Traceback" not in run.stderr
    assert {k: v for k, v in book.snapshot().items() if not k.startswith("build/")} == before


def _built(book: Project) -> dict[str, int]:
    """The time each page of the site was written, by name."""
    site = book.root / "build" / "site"
    return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*.html")}


def test_one_edit_builds_only_the_pages_it_changed(book: Project) -> None:
    book.write({"pyproject.toml": _settings("mkdocs")})
    assert loom_process("build", cwd=book.root).exit_code == 0
    before = _built(book)
    text = book.read("literate/parts/helpers.md").replace("More helpers:", "More okapis:")
    book.write({"literate/parts/helpers.md": text})
    run = loom_process("-v", "build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "only they are built again" in run.stderr and "dirty" not in run.stderr
    after = _built(book)
    assert "More okapis:" in book.read("build/site/parts/helpers.html")
    assert after["parts/helpers.html"] > before["parts/helpers.html"]
    assert after["parts/main.html"] == before["parts/main.html"]  # its HTML kept
    assert after["index.html"] == before["index.html"]
    index = json.loads(book.read("build/site/search/search_index.json"))
    pages = {entry["location"].partition("#")[0] for entry in index["docs"]}
    assert {"parts/helpers.html", "parts/main.html", "index.html"} <= pages  # all still found
    assert any("okapis" in entry["text"] for entry in index["docs"])
    assert not any("More helpers:" in entry["text"] for entry in index["docs"])


def test_a_new_title_builds_every_page_again(book: Project) -> None:
    book.write({"pyproject.toml": _settings("mkdocs")})
    assert loom_process("build", cwd=book.root).exit_code == 0
    text = book.read("literate/parts/helpers.md").replace("title: Helpers", "title: Okapis")
    book.write({"literate/parts/helpers.md": text})
    run = loom_process("-v", "build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "only they are built again" not in run.stderr
    assert "Okapis" in book.read("build/site/parts/main.html")  # the navigation of every page


def test_loom_build_after_loom_site_with_another_engine_builds_its_own(book: Project) -> None:
    book.write({"pyproject.toml": _settings("mkdocs")})
    assert loom_process("build", cwd=book.root).exit_code == 0
    assert loom_process("site", "--engine", "zensical", cwd=book.root).exit_code == 0
    run = loom_process("-v", "build", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "site (mkdocs," in run.stderr and "only they are built again" not in run.stderr
    assert "md-search__input" in book.read("build/site/index.html")  # Material's, not Zensical's


@pytest.mark.skipif(not Path("/usr/bin/bwrap").exists(), reason="needs bubblewrap")
def test_no_exec_builds_the_zensical_site_in_the_sandbox(book: Project) -> None:
    run = loom_process("build", "--no-exec", cwd=book.root)
    assert run.exit_code == 0, run.stderr
    assert "chunk-helpers" in book.read("build/site/parts/helpers.html")
    assert not (book.root / "build" / "zensical.yml").exists()  # written in the sandbox's /tmp


def test_a_site_without_an_index_page_is_still_skipped_or_built_in_part(project: Project) -> None:
    chapters = {k: v for k, v in BOOK.items() if k != "literate/index.md"}  # no index.html
    project.write({**chapters, "mkdocs.yml": MKDOCS, "pyproject.toml": _settings("mkdocs")})
    os.symlink(NODE_MODULES, project.root / "node_modules")
    assert loom_process("build", cwd=project.root).exit_code == 0
    assert "site up to date" in loom_process("build", cwd=project.root).stderr
    text = project.read("literate/parts/main.md").replace("# Main", "# Main, edited")
    project.write({"literate/parts/main.md": text})
    run = loom_process("-v", "build", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    assert "only they are built again" in run.stderr


def test_a_long_navigation_without_prune_is_a_warning_at_mkdocs_yml(
    book: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older mkdocs.yml (no navigation.prune) is told where to add it when the navigation is
    long; the site is built all the same. Long is made short here: PRUNE_FROM pages is 500."""
    from litloom.weave import engines

    monkeypatch.setattr(engines, "PRUNE_FROM", 3)
    older = "\n".join(line for line in MKDOCS.splitlines() if "navigation.prune" not in line)
    book.write({"mkdocs.yml": older + "\n", "pyproject.toml": _settings("mkdocs")})
    assert book.loom("weave").exit_code == 0
    run = book.loom("site")
    assert run.exit_code == 0, run.stderr
    line = older.splitlines().index("theme:") + 1
    assert f"mkdocs.yml:{line}: theme.features lacks navigation.prune" in run.stderr
    book.write({"mkdocs.yml": MKDOCS})
    assert "navigation.prune" not in book.loom("site").stderr
