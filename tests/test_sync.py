"""`loom sync`: Markdown and notebooks paired both ways, by content hashes; round trips."""

from __future__ import annotations

import json
import os

import jupytext
import nbformat
import pytest

from conftest import REPO, Project, chunk, loom_process

DOC = ("---\ntitle: Calc\n---\n\n# Calc\n\nProse.\n\n"
       + chunk("python", "#| file: calc.py", "def add(a, b):", "    return a + b"))


@pytest.fixture
def paired(project: Project) -> Project:
    project.write({"literate/calc.md": DOC})
    run = loom_process("sync", cwd=project.root)
    assert run.exit_code == 0 and "wrote notebooks/calc.ipynb" in run.stdout, run.stderr
    return project


def cells(project: Project) -> list[str]:
    return [c.source for c in nbformat.read(project.root / "notebooks/calc.ipynb", 4).cells]


def test_sync_writes_a_notebook_for_each_document(paired: Project) -> None:
    assert any("def add(a, b):" in source for source in cells(paired))
    again = loom_process("sync", cwd=paired.root)
    assert "0 notebook(s), 0 document(s) written" in again.stderr


def test_a_notebook_edit_flows_to_markdown(paired: Project) -> None:
    path = paired.root / "notebooks/calc.ipynb"
    notebook = nbformat.read(path, 4)
    code = next(c for c in notebook.cells if c.cell_type == "code")
    code.source = code.source.replace("a + b", "b + a")
    nbformat.write(notebook, path)
    run = loom_process("sync", cwd=paired.root)
    assert "wrote literate/calc.md" in run.stdout
    assert "    return b + a" in paired.read("literate/calc.md")
    assert paired.loom("tangle").exit_code == 0
    assert "return b + a" in paired.read("tangled_src/calc.py")


def test_a_markdown_edit_flows_to_the_notebook_keeping_outputs(paired: Project) -> None:
    path = paired.root / "notebooks/calc.ipynb"
    notebook = nbformat.read(path, 4)
    code = next(c for c in notebook.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    nbformat.write(notebook, path)
    loom_process("sync", cwd=paired.root)  # the notebook changed: md rewritten (same text)
    paired.write({"literate/calc.md": DOC.replace("Prose.", "Better prose.")})
    run = loom_process("sync", cwd=paired.root)
    assert "wrote notebooks/calc.ipynb" in run.stdout
    text = path.read_text()
    assert "Better prose." in text and "kept" in text


def test_touching_files_is_not_a_change(paired: Project) -> None:
    for path in [paired.root / "literate/calc.md", paired.root / "notebooks/calc.ipynb"]:
        os.utime(path, ns=(1, 1))
    run = loom_process("sync", cwd=paired.root)
    assert "0 notebook(s), 0 document(s) written" in run.stderr


def test_both_sides_changed_is_a_conflict(paired: Project) -> None:
    path = paired.root / "notebooks/calc.ipynb"
    notebook = nbformat.read(path, 4)
    notebook.cells[-1].source += "\n# notebook side"
    nbformat.write(notebook, path)
    paired.write({"literate/calc.md": DOC.replace("Prose.", "Markdown side.")})
    before = paired.snapshot()
    run = loom_process("sync", cwd=paired.root)
    assert run.exit_code == 2
    assert "literate/calc.md: and notebooks/calc.ipynb both changed since the last sync" \
        in run.stderr
    assert paired.snapshot() == before


@pytest.mark.parametrize("chapter", sorted(p.relative_to(REPO).as_posix()
                                          for p in (REPO / "literate").rglob("*.md")))
def test_round_trips_of_litloom_chapters(chapter: str) -> None:
    """Markdown -> notebook -> Markdown is exact, for every chapter of litloom itself."""
    from litloom.sync import to_markdown, to_notebook

    text = (REPO / chapter).read_text()
    notebook = to_notebook(text, None)
    assert to_markdown(notebook) == text
    json.loads(notebook)


def test_percent_and_notebook_read_alike(project: Project) -> None:
    """A notebook, and the percent script jupytext makes of it, give litloom the same code."""
    cells = [nbformat.v4.new_code_cell("#| file: a.py\nX = 1"),
             nbformat.v4.new_markdown_cell("Prose"), nbformat.v4.new_code_cell("#| chunk: b\nY = 2")]
    text = nbformat.writes(nbformat.v4.new_notebook(cells=cells))
    script = jupytext.writes(jupytext.reads(text, fmt="ipynb"), fmt="py:percent")
    project.write({"literate/n.ipynb": text})
    project.loom("tangle")
    from_notebook = project.read("tangled_src/a.py").split("\n", 1)[1]
    (project.root / "literate/n.ipynb").unlink()
    project.write({"literate/n.py": script})
    assert project.loom("tangle").exit_code == 0
    assert project.read("tangled_src/a.py").split("\n", 1)[1] == from_notebook


@pytest.mark.parametrize("fmt", ["ipynb", "py:percent"])
def test_litloom_as_notebooks_or_percent_scripts_tangles_to_itself(tmp_path, fmt: str) -> None:
    """Every chapter, converted by jupytext to a notebook or a percent script, gives the very
    package the Markdown gives: chunk names, targets and options survive the trip."""
    from litloom.sync import to_notebook

    project = Project(tmp_path)
    project.write({"pyproject.toml": '[project]\nname = "copy"\n\n[tool.litloom]\n'})
    suffix = ".ipynb" if fmt == "ipynb" else ".py"
    for chapter in (REPO / "literate").rglob("*.md"):
        notebook = to_notebook(chapter.read_text(), None)
        text = notebook if fmt == "ipynb" else jupytext.writes(
            jupytext.reads(notebook, fmt="ipynb"), fmt="py:percent")
        relative = chapter.relative_to(REPO).with_suffix(suffix).as_posix()
        project.write({relative: text})
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    ours = {p.relative_to(REPO / "tangled_src").as_posix(): p.read_text().split("\n")[1:]
            for p in (REPO / "tangled_src/litloom").rglob("*.py")}
    theirs = {p.relative_to(tmp_path / "tangled_src").as_posix(): p.read_text().split("\n")[1:]
              for p in (tmp_path / "tangled_src/litloom").rglob("*.py")}
    assert theirs == ours
