"""Attacks: hand edits. A manifest that a merge, a conflict or a hand has changed must not make
litloom delete or overwrite the user's files; a conflicted manifest is settled or refused with
the real fix; files another tool did not write are never taken over."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import Project, chunk
from litloom.store.transaction import render_manifest, sha256

ROOT_AT_TOP = '[project]\nname = "demo"\n\n[tool.litloom]\ntangle_root = "."\n'
TARGET = chunk(" {.python file=out/a.py}", "A = 1")


def manifest_naming(project: Project, folder: str, *paths: str) -> Path:
    """Tangle, then add lines naming `paths` (with their files' true hashes) to the manifest."""
    assert project.loom("tangle").exit_code == 0
    manifest = project.root / folder / ".litloom-manifest"
    entries = dict(line.split("  ")[::-1] for line in manifest.read_text().splitlines()[1:])
    for path in paths:
        file = project.root / folder / path
        entries[path] = sha256(file.read_bytes()) if file.is_file() else "0" * 64
    manifest.write_text(render_manifest(entries))
    return manifest


@pytest.mark.parametrize("victim", [
    "literate/index.md", "pyproject.toml", "mkdocs.yml", "settings.ini", "entangled.toml",
    "sub/pyproject.toml", ".git/config", ".git/hooks/pre-commit", ".hg/hgrc", ".svn/entries",
    "lib/.git/HEAD", "out/../literate/index.md", "./literate/index.md",
])
def test_a_manifest_line_never_deletes_a_source_config_or_vcs_file(
    tmp_path: Path, victim: str
) -> None:
    """With the tangle root at the project root, a manifest line (by merge or by hand)
    naming a literate source, a configuration file or a version-control file."""
    project = Project(tmp_path).write({"pyproject.toml": ROOT_AT_TOP, "literate/index.md": TARGET})
    file = tmp_path / os.path.normpath(victim)
    if not file.exists():
        project.write({os.path.normpath(victim): "precious\n"})
    manifest = manifest_naming(project, ".", victim)
    line = 1 + [text.split("  ")[-1] for text in manifest.read_text().splitlines()].index(victim)
    before = file.read_bytes()
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert file.read_bytes() == before
    assert f".litloom-manifest:{line}: names {victim}, " in run.stderr, run.stderr
    assert "which litloom never deletes; the line is dropped" in run.stderr
    assert victim not in manifest.read_text()
    assert project.loom("check").exit_code == 0


@pytest.mark.parametrize("victim", ["../outside.txt", "/etc/hostname-copy", "a/../../outside.txt"])
def test_a_manifest_line_never_deletes_outside_the_tangle_root(
    project: Project, victim: str, tmp_path: Path
) -> None:
    outside = tmp_path / "proj" / "outside.txt"
    project.write({"literate/a.md": TARGET, "outside.txt": "precious\n"})
    manifest_naming(project, "tangled_src", victim)
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert outside.read_text() == "precious\n"
    assert "a path that is not plainly inside the tangle root" in run.stderr


@pytest.mark.parametrize("target", [".git/hooks/post-checkout", "pkg/.git/config", ".hg/hgrc"])
def test_a_target_under_a_version_control_folder_is_refused_at_its_chunk(
    tmp_path: Path, target: str
) -> None:
    project = Project(tmp_path).write({
        "pyproject.toml": ROOT_AT_TOP,
        "literate/a.md": "# A\n\n" + chunk(f" {{.python file={target}}}", "import os"),
    })
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2
    folder = target.split("/")[-2] if target.startswith("pkg") else target.split("/")[0]
    assert run.stderr.startswith(
        f"literate/a.md:3: file={target} is under {folder}/, where litloom never writes")
    assert project.snapshot() == before


def test_a_target_that_is_a_literate_source_is_refused_even_if_the_manifest_names_it(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path).write({"pyproject.toml": ROOT_AT_TOP, "literate/index.md": TARGET,
                                      "literate/b.md": "# B\n"})
    manifest_naming(project, ".", "literate/b.md")
    project.write({"literate/index.md": TARGET + chunk(" {.python file=literate/b.md}", "x")})
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "file=literate/b.md is a literate source, which a target never replaces" in run.stderr
    assert project.snapshot() == before


# -- merge conflicts in the manifest ---------------------------------------------------------------


def doc(*targets: str) -> str:
    return "".join(chunk(f" {{.python file={t}}}", f"NAME = {t!r}") for t in targets)


def conflicted(project: Project, style: str) -> tuple[Path, list[str]]:
    """A manifest after `git merge` of two branches that each tangled a change: both changed
    a.py; ours added b.py, theirs added c.py."""
    project.write({"literate/d.md": doc("a.py", "keep.py")})
    assert project.loom("tangle").exit_code == 0
    manifest = project.root / "tangled_src/.litloom-manifest"
    lines = manifest.read_text().splitlines()
    header, keep = lines[0], [line for line in lines if line.endswith("  keep.py")][0]
    ours_a, theirs_a = sha256(b"ours\n"), sha256(b"theirs\n")
    ours = [f"{ours_a}  a.py", f"{sha256(b'b')}  b.py"]
    theirs = [f"{theirs_a}  a.py", f"{sha256(b'c')}  c.py"]
    base = ["||||||| merged common ancestors", lines[1]] if style == "diff3" else []
    body = ["<<<<<<< HEAD", *ours, *base, "=======", *theirs, ">>>>>>> theirs"]
    if style == "add/add":  # both branches made the manifest: the header is in conflict too
        body = ["<<<<<<< HEAD", header, *ours, "=======", header, *theirs, ">>>>>>> theirs"]
        text = "\n".join([*body, keep, ""])
    else:
        text = "\n".join([header, *body, keep, ""])
    manifest.write_text(text)
    return manifest, [ours_a, theirs_a]


@pytest.mark.parametrize("style", ["merge", "diff3", "add/add"])
@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_a_conflicted_manifest_is_the_union_of_both_sides(
    project: Project, style: str, side: str
) -> None:
    """The merged a.py holds one side's content: litloom's, not a hand edit; b.py and c.py,
    which either side tangled and the merged sources no longer make, are deleted."""
    conflicted(project, style)
    for name in ("b", "c"):
        project.write({f"tangled_src/{name}.py": name})
    project.write({"tangled_src/a.py": f"{side}\n"})
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert "edited by hand" not in run.stderr
    assert "deleted tangled_src/b.py" in run.stdout and "deleted tangled_src/c.py" in run.stdout
    text = project.read("tangled_src/.litloom-manifest")
    assert "<<<<<<<" not in text and "=======" not in text and ">>>>>>>" not in text
    assert project.loom("check").exit_code == 0


def test_a_conflicted_manifest_still_catches_a_hand_edit(project: Project) -> None:
    conflicted(project, "merge")
    project.write({"tangled_src/a.py": "neither side\n"})
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert run.stderr.startswith("tangled_src/a.py:1: edited by hand since litloom wrote it")
    assert project.snapshot() == before
    assert project.loom("tangle", "--force").exit_code == 0


@pytest.mark.parametrize("damage", ["unended", "no-separator", "stray-end"])
def test_conflict_markers_that_do_not_pair_name_the_real_fix(project: Project, damage: str) -> None:
    manifest, _ = conflicted(project, "merge")
    text = manifest.read_text()
    if damage == "unended":
        text = text.replace(">>>>>>> theirs\n", "")
    elif damage == "no-separator":
        text = text.replace("=======\n", "")
    else:
        text += ">>>>>>> again\n"
    manifest.write_text(text)
    before = project.snapshot()
    for args in (["tangle"], ["tangle", "--force"]):
        run = project.loom(*args)
        assert run.exit_code == 2
        first = run.stderr.splitlines()[0]
        assert first.startswith("tangled_src/.litloom-manifest:")
        assert "merge conflict whose markers do not pair up" in first
        assert "git checkout --theirs -- tangled_src/.litloom-manifest" in first
        assert project.snapshot() == before


def test_a_malformed_line_names_a_fix_other_than_the_refusing_command(project: Project) -> None:
    project.write({"literate/d.md": doc("a.py"),
                   "tangled_src/.litloom-manifest": "# litloom manifest v1: x\nbad  a.py\n"})
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "re-create it with loom tangle" not in run.stderr
    assert "restore the manifest from version control, or delete this line" in run.stderr


# -- adoption: only files the other tool wrote ------------------------------------------------------


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("quote", ["docstring", "later", "string"])
def test_an_nbdev_file_that_quotes_the_header_is_not_taken_over(
    tmp_path: Path, quote: str
) -> None:
    root = tmp_path / "cards"
    shutil.copytree(DATA / "nbdev-cards", root)
    header = "# AUTOGENERATED! DO NOT EDIT! File to edit: ../nbs/01_util.ipynb."
    mine = {
        "docstring": f'"""My notes.\n\n{header}\n"""\n\nMINE = 1\n',
        "later": f"MINE = 1\n\n{header}\n",
        "string": f"HEADER = {header!r}\n",
    }[quote]
    (root / "cards/util.py").write_text(mine)
    project = Project(root)
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "cards/util.py exists and was not written by litloom" in run.stderr
    assert (root / "cards/util.py").read_text() == mine


def test_nbdev_modules_with_the_header_are_taken_over(tmp_path: Path) -> None:
    """As nbdev 2 wrote them (the first line) and as nbdev 3 does (after the docstring)."""
    root = tmp_path / "cards"
    shutil.copytree(DATA / "nbdev-cards", root)
    util = root / "cards/util.py"
    text = util.read_text()
    assert text.startswith("# AUTOGENERATED!") or text.startswith('"""')
    core = (root / "cards/core.py").read_text()
    assert core.startswith('"""') and "\n\n# AUTOGENERATED! DO NOT EDIT!" in core
    run = Project(root).loom("tangle")
    assert run.exit_code == 0, run.stderr


@pytest.mark.parametrize("mine", [
    "# My notes: Entangled writes `# ~/~ begin <<file#name>>[init]` lines\nx = 1\n",
    "x = 1\n# ~/~ begin <<docs/a.md#docs/a.md::out/a.py>>[init]\n",
    'x = "# ~/~ begin <<docs/a.md#docs/a.md::out/a.py>>[init]"\n',
    '"""# ~/~ begin <<docs/a.md#docs/a.md::out/a.py>>[init]"""\n',
])
def test_an_entangled_file_that_quotes_the_mark_is_not_taken_over(
    tmp_path: Path, mine: str
) -> None:
    from test_entangled import NAMESPACED

    project = Project(tmp_path).write({**NAMESPACED, "out/a.py": mine})
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "out/a.py exists and was not written by litloom" in run.stderr
    assert project.read("out/a.py") == mine


def test_import_adopts_only_files_the_tool_wrote(tmp_path: Path, monkeypatch) -> None:
    from test_entangled import ENTANGLED_WROTE, NAMESPACED

    mine = "# notes on Entangled's ~/~ begin <<x#y>>[init] marks\nMINE = 1\n"
    project = Project(tmp_path).write({**NAMESPACED, **ENTANGLED_WROTE, "out/a.fish": mine})
    monkeypatch.chdir(tmp_path)
    run = project.loom("import", "entangled", ".")
    assert run.exit_code == 0, run.stderr
    manifest = project.read(".litloom-manifest")
    assert "out/a.py" in manifest and "out/a.fish" not in manifest
