"""The project model, one build, one writer: sources read once, a dialect in one module,
warnings for unknown options, the build's reasons, and all-or-nothing writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import NODE_MODULES, REPO, Project, chunk, opened
from litloom.cli import cli
from litloom.config import Config
from litloom.dialects import Dialect
from litloom.errors import Diagnostic
from litloom.model import Chunk, Document

MERMAID = NODE_MODULES / "mermaid" / "dist" / "mermaid.min.js"
needs_mermaid = pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)")


def book(project: Project) -> Project:
    project.write({
        "mkdocs.yml": (REPO / "mkdocs.yml").read_text(),
        "literate/index.md": "---\ntitle: Home\n---\n\n# Home\n\n"
        + chunk(" {.python file=pkg/app.py}", "<<helper>>"),
        "literate/parts/helper.md": "# Helper\n\n" + chunk(" {.python #helper}", "X = 1"),
        "literate/parts/notes.ipynb": _notebook(),
    })
    os.symlink(NODE_MODULES, project.root / "node_modules")
    return project


def _notebook() -> str:
    import nbformat

    cells = [nbformat.v4.new_markdown_cell("# Notes"),
             nbformat.v4.new_code_cell("#| file: pkg/notes.py\nY = 2")]
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells))


@needs_mermaid
def test_a_cold_build_reads_each_literate_source_once(project: Project) -> None:
    book(project)
    literate = os.path.realpath(project.root / "literate")
    with opened() as seen:
        run = project.loom("build")
    assert run.exit_code == 0, run.stderr
    reads = [p for p in seen if p.startswith(literate + os.sep)]
    sources = (project.root / "literate").rglob("*.*")
    assert sorted(set(reads)) == sorted(os.path.realpath(p) for p in sources)
    assert len(reads) == len(set(reads)), sorted(reads)


@needs_mermaid
def test_build_says_why_each_step_ran_or_was_skipped(project: Project) -> None:
    book(project)
    for path in (project.root / "literate").rglob("*"):  # old enough for traces to vouch for
        os.utime(path, (1_600_000_000, 1_600_000_000))
    first = project.loom("-v", "build")
    assert first.exit_code == 0, first.stderr
    assert "loom build: tangle (3 documents changed)" in first.stderr
    assert "site (mkdocs, " in first.stderr and "(no site yet)" in first.stderr
    again = project.loom("-v", "build")
    assert "loom build: tangle (0 documents changed)" in again.stderr
    assert "loom build: site skipped (site unchanged: mkdocs skipped)" in again.stderr
    quiet = project.loom("build")
    assert "skipped" not in quiet.stderr and "changed)" not in quiet.stderr


class Shout(Dialect):
    """A dialect defined here: `[tool.shout]` projects, whose `*.shout` files are each one
    Python chunk, tangled to a module of the same name, in upper case."""

    name = "shout"
    adopts = "# SHOUTED"

    def detect(self, root: Path, pyproject: dict) -> Config | None:
        if "shout" not in pyproject.get("tool", {}):
            return None
        return Config(root, source="docs", dialect="shout", watch=("docs/*.shout",))

    def reader(self, config: Config, path: str):
        if not path.endswith(".shout"):
            return None

        def read(path: str, text: str) -> tuple[Document, list[Diagnostic]]:
            lines = tuple(text.splitlines())
            target = Path(path).stem + ".py"
            chunk = Chunk(path, 1, "python", target=target, lines=lines,
                          line_numbers=tuple(range(1, len(lines) + 1)))
            return Document(path, (chunk,)), []

        return read

    def transform(self, config: Config, document: Document) -> Document:
        from dataclasses import replace

        chunks = tuple(replace(c, lines=tuple(x.upper() for x in c.lines)) for c in document.chunks)
        return replace(document, chunks=chunks)


def test_a_dialect_is_one_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from litloom import dialects

    monkeypatch.setattr(dialects, "_registered", [])
    dialects.register(Shout())
    project = Project(tmp_path).write({
        "pyproject.toml": '[project]\nname = "loud"\n\n[tool.shout]\n',
        "docs/greet.shout": "x = 'hello'\n",
        "docs/notes.txt": "not a document\n",
    })
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert project.tangled()["greet.py"].splitlines()[1:] == ["X = 'HELLO'"]
    assert project.loom("where", "tangled_src/greet.py:2").stdout.startswith("docs/greet.shout:1")


def test_an_unknown_option_is_a_located_warning(project: Project) -> None:
    project.write({"literate/x.md": "---\ntitle: X\nrunbok: true\n---\n\n# X\n\n"
                   + chunk(" {.python file=x.py}", "#| tset", "X = 1")})
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert "literate/x.md:9: unknown option 'tset'; did you mean 'test'?" in run.stderr
    assert "literate/x.md:3: unknown front-matter key 'runbok'; did you mean 'runbook'?" \
        in run.stderr
    assert "tangled_src/x.py" in run.stdout


def test_under_strict_an_unknown_option_is_an_error_and_nothing_is_written(
    project: Project,
) -> None:
    project.write({"literate/x.md": chunk(" {.python file=x.py .tset}", "X = 1")})
    before = project.snapshot()
    run = project.loom("--strict", "tangle")
    assert run.exit_code == 2
    assert run.stderr.startswith("literate/x.md:1: unknown option 'tset'; did you mean 'test'?")
    assert project.snapshot() == before
    project.write({"pyproject.toml": '[project]\nname = "demo"\n\n[tool.litloom]\nstrict = true\n'})
    assert project.loom("tangle").exit_code == 2


def test_a_failure_after_the_first_file_leaves_every_file_as_it_was(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litloom.store import writer

    ugly = chunk(" {.python #one}", "x=1")
    project.write({"literate/a.md": ugly, "literate/b.md": ugly.replace("one", "two"),
                   "literate/c.md": ugly.replace("one", "three")})
    before = project.snapshot()
    calls: list[Path] = []

    def flaky(temporary: Path, path: Path) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        os.replace(temporary, path)

    monkeypatch.setattr(writer, "_put", flaky)
    run = project.loom("fmt")
    assert run.exit_code == 2
    assert "cannot write: No space left on device" in run.stderr
    assert len(calls) == 2
    assert project.snapshot() == before
    monkeypatch.undo()
    assert project.loom("fmt").exit_code == 0
    assert project.read("literate/b.md") != before["literate/b.md"].decode()


def test_version_is_fast_and_imports_no_command() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "litloom" in result.output


def test_a_build_without_mkdocs_yml_is_a_located_error(project: Project) -> None:
    project.write({"literate/a.md": chunk(" {.python file=a.py}", "A = 1")})
    os.symlink(NODE_MODULES, project.root / "node_modules")
    run = project.loom("build")
    assert run.exit_code == 2, run.stderr
    assert "mkdocs.yml: not found: the site needs it (loom init writes one)" in run.stderr
