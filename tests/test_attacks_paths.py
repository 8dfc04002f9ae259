"""Attacks on paths (issue 11, items 1, 9 and 13): nothing litloom reads or writes may lie
outside the project, whatever symbolic links say, and a target names one file on every system.

Each attack is a hostile or unlucky project. It must either work as before (the escapes that
already held) or be refused with a located user error: exit 2, `path[:line]: message` on
standard error, nothing written inside the project or outside it, and nothing read from
outside it (an audit hook watches every `open`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import Project, Run, chunk, opened

PLANTED = "# A\n\n" + chunk(" {.python file=planted.py}", "x = 1")
SECRET = "# Secret\n\nSECRET-OUTSIDE\n\n" + chunk(" {.python file=secret.py}", "KEY = 'SECRET'")

def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (links not followed), with its bytes, and every link."""
    found: dict[str, bytes] = {}
    for top, folders, names in os.walk(folder):
        for name in [*names, *folders]:
            path = Path(top, name)
            if path.is_symlink():
                found[path.relative_to(folder).as_posix()] = os.readlink(path).encode()
            elif path.is_file():
                found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the project, holding a document and a Python file of its own."""
    folder = tmp_path / "outside"
    (folder / "lit").mkdir(parents=True)
    (folder / "lit" / "secret.md").write_text(SECRET)
    (folder / "secret.md").write_text(SECRET)
    (folder / "lib").mkdir()
    (folder / "lib" / "stolen.py").write_text("STOLEN = 'SECRET-OUTSIDE'\n")
    return folder


def refused(project: Project, outside: Path, *args: str, where: str) -> Run:
    """Run loom; assert a located user error at `where`, and nothing written or read outside."""
    inside, out = snapshot(project.root), snapshot(outside)
    with opened() as seen:
        run = project.loom(*args)
    assert run.exit_code == 2, (run.exit_code, run.stdout, run.stderr)
    assert run.stderr.startswith(f"{where}:"), run.stderr
    assert snapshot(project.root) == inside, "something was written in the project"
    assert snapshot(outside) == out, "something was written outside the project"
    real = os.path.realpath(outside)
    assert not [p for p in seen if p.startswith(real + os.sep)], "read outside the project"
    assert "SECRET" not in run.stdout + run.stderr.replace(str(real), "")
    return run


COMMANDS = [("tangle",), ("check",), ("weave",), ("sync",), ("notebooks",), ("stitch",),
            ("build",), ("lint",), ("fmt",), ("runs",), ("where", "tangled_src/planted.py:2")]


# Item 1: a folder litloom writes in, or the source folder, that a link leads out of.

@pytest.mark.parametrize("folder", ["tangled_src", "build", "notebooks", "literate"])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_a_folder_linked_out_of_the_project_is_refused(project: Project, outside: Path,
                                                       folder: str, args: tuple) -> None:
    project.write({"literate/a.md": PLANTED})
    if folder == "literate":
        (project.root / "literate").rename(outside / "literate")
        os.symlink(outside / "literate", project.root / "literate")
    else:
        os.symlink(outside, project.root / folder)
    run = refused(project, outside, *args, where=folder)
    assert "leads outside the project through a symbolic link" in run.stderr


@pytest.mark.parametrize("setting", ["tangle_root", "build_dir", "source"])
def test_a_link_anywhere_on_a_setting_s_path_is_refused(project: Project, outside: Path,
                                                        setting: str) -> None:
    project.write({"literate/a.md": PLANTED, "src/lit/a.md": PLANTED,
                   "pyproject.toml": f'[tool.litloom]\n{setting} = "via/deep/er"\n'})
    os.symlink(outside, project.root / "via")
    (outside / "deep" / "er").mkdir(parents=True)
    if setting == "source":
        (outside / "deep" / "er" / "a.md").write_text(SECRET)
    refused(project, outside, "tangle", where="via/deep/er")


def test_a_part_of_build_linked_out_is_refused(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    (project.root / "build").mkdir()
    os.symlink(outside, project.root / "build" / "litloom")
    refused(project, outside, "tangle", where="build/litloom")


def test_every_folder_that_leads_out_is_named_at_once(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    for name in ("tangled_src", "build", "notebooks"):
        os.symlink(outside, project.root / name)
    run = refused(project, outside, "tangle", where="build")
    assert [line.split(":")[0] for line in run.stderr.splitlines()[:-1]] == [
        "build", "notebooks", "tangled_src"]  # build/litloom, build/docs: not again


def test_links_that_stay_inside_the_project_are_fine(project: Project) -> None:
    project.write({"store/src/.keep": "", "store/build/.keep": "", "docs/a.md": PLANTED})
    os.symlink("store/src", project.root / "tangled_src")
    os.symlink("store/build", project.root / "build")
    (project.root / "literate").mkdir()
    os.symlink("../docs/a.md", project.root / "literate" / "a.md")
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert (project.root / "store" / "src" / "planted.py").is_file()
    assert (project.root / "store" / "build" / "litloom" / "state.marshal").is_file()


# Item 1 and 9: a literate source (a document, or a folder of them) linked out of the project.

@pytest.mark.parametrize("args", [a for a in [*COMMANDS, ("test",)] if a != ("runs",)],
                         ids=lambda a: a[0])  # `loom runs` reads no document
def test_a_document_linked_out_of_the_project_is_never_read(project: Project, outside: Path,
                                                            args: tuple) -> None:
    project.write({"literate/a.md": PLANTED, "literate/part/b.md": "# B\n"})
    os.symlink(outside / "secret.md", project.root / "literate" / "part" / "secret.md")
    run = refused(project, outside, *args, where="literate/part/secret.md")
    assert "leads outside the project" in run.stderr


def test_a_folder_of_documents_linked_out_is_refused(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    os.symlink(outside / "lit", project.root / "literate" / "more")
    refused(project, outside, "weave", where="literate/more")


def test_every_document_linked_out_is_named_at_once(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    os.symlink(outside / "secret.md", project.root / "literate" / "s1.md")
    os.symlink(outside / "lit" / "secret.md", project.root / "literate" / "s2.md")
    os.symlink(outside / "missing.md", project.root / "literate" / "s3.md")  # dangling
    run = refused(project, outside, "tangle", where="literate/s1.md")
    assert [line.split(":")[0] for line in run.stderr.splitlines()[:-1]] == [
        "literate/s1.md", "literate/s2.md", "literate/s3.md"]


def test_links_out_that_are_not_documents_are_left_alone(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    os.symlink(outside / "lib" / "stolen.py", project.root / "literate" / "data.csv")
    os.symlink(outside / "lit", project.root / "literate" / ".hidden")
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr


# What held before, and must keep holding: plain escapes of a target.

@pytest.mark.parametrize("target", ["../escape.py", "pkg/../../escape.py", "/tmp/escape.py",
                                    "~/escape.py", "C:/escape.py", "pkg\\..\\escape.py", "."])
def test_plain_escapes_of_a_target_are_refused(project: Project, outside: Path,
                                               target: str) -> None:
    project.write({"literate/a.md": "# A\n\n" + chunk(f" {{.python file={target}}}", "x = 1")})
    refused(project, outside, "tangle", where="literate/a.md:3")


def test_a_nul_byte_in_a_target_is_refused(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": "# A\n\n```python\n#| file: a\x00b.py\nx = 1\n```\n"})
    refused(project, outside, "tangle", where="literate/a.md:3")


def test_a_link_inside_the_tangle_root_that_leads_out_is_refused(project: Project,
                                                                  outside: Path) -> None:
    project.write({"literate/a.md": "# A\n\n" + chunk(" {.python file=pkg/planted.py}", "x")})
    (project.root / "tangled_src").mkdir()
    os.symlink(outside, project.root / "tangled_src" / "pkg")
    refused(project, outside, "tangle", where="literate/a.md:3")


@pytest.mark.parametrize("setting", ["tangle_root", "build_dir", "source"])
@pytest.mark.parametrize("value", ["..", "../elsewhere", "/tmp", "a/../../b"])
def test_plain_escapes_of_a_setting_are_refused(project: Project, outside: Path, setting: str,
                                                value: str) -> None:
    project.write({"literate/a.md": PLANTED,
                   "pyproject.toml": f'[tool.litloom]\n{setting} = "{value}"\n'})
    refused(project, outside, "tangle", where="pyproject.toml:2")


# Item 13: target names.

def test_targets_that_differ_only_in_case_are_refused_at_both(project: Project,
                                                              outside: Path) -> None:
    project.write({
        "literate/a.md": "# A\n\n" + chunk(" {.python file=pkg/mod.py}", "x = 1"),
        "literate/b.md": "# B\n\n" + chunk(" {.python file=pkg/Mod.py}", "y = 2"),
    })
    run = refused(project, outside, "tangle", where="literate/a.md:3")
    lines = run.stderr.splitlines()
    assert lines[0].startswith("literate/a.md:3: file=pkg/mod.py and file=pkg/Mod.py at "
                               "literate/b.md:3 differ only in case")
    assert lines[1].startswith("literate/b.md:3: file=pkg/Mod.py and file=pkg/mod.py at "
                               "literate/a.md:3 differ only in case")


@pytest.mark.parametrize(("first", "second"), [
    ("PKG/mod.py", "pkg/mod.py"),  # the folder's case
    ("caf\u00e9.py", "cafe\u0301.py"),  # composed and decomposed: one name on macOS
    ("pkg", "PKG/mod.py"),  # a file, and (on macOS and Windows) the same name as a folder
])
def test_one_file_on_macos_and_windows_is_refused(project: Project, outside: Path, first: str,
                                                  second: str) -> None:
    project.write({"literate/a.md": "# A\n\n" + chunk(f" {{.python file={first}}}", "x = 1")
                   + "\n" + chunk(f" {{.python file={second}}}", "y = 2")})
    run = refused(project, outside, "tangle", where="literate/a.md")
    assert len(run.stderr.splitlines()) >= 2


def test_targets_that_differ_in_more_than_case_are_fine(project: Project) -> None:
    project.write({"literate/a.md": "# A\n\n" + chunk(" {.python file=pkg/mod.py}", "x = 1")
                   + "\n" + chunk(" {.python file=PKG2/mod.py}", "y = 2")
                   + "\n" + chunk(" {.python file=pkg/mod2.py}", "z = 3")})
    assert project.loom("tangle").exit_code == 0


@pytest.mark.parametrize("info", [" {.python file=pkg/}", " {.python file=pkg/.}",
                                  " {.python file=./}", " {.python file=pkg/sub/..}"])
def test_a_target_that_names_a_folder_is_refused(project: Project, outside: Path,
                                                 info: str) -> None:
    project.write({"literate/a.md": "# A\n\n" + chunk(info, "x = 1")})
    run = refused(project, outside, "tangle", where="literate/a.md:3")
    assert "names a folder" in run.stderr


@pytest.mark.parametrize("option", ["#| file", "#| file:", "#| file:   ", "#| chunk"])
def test_a_file_or_chunk_option_without_a_value_is_refused(project: Project, outside: Path,
                                                           option: str) -> None:
    project.write({"literate/a.md": f"# A\n\n```python\n{option}\nx = 1\n```\n"})
    run = refused(project, outside, "tangle", where="literate/a.md:4")
    assert "needs a value" in run.stderr


def test_a_file_option_without_a_value_in_a_notebook_is_refused(project: Project,
                                                                outside: Path) -> None:
    cells = [nbformat.v4.new_code_cell("#| file\nx = 1")]
    project.write({"literate/n.ipynb": nbformat.writes(nbformat.v4.new_notebook(cells=cells))})
    run = refused(project, outside, "tangle", where="literate/n.ipynb")
    assert "needs a value" in run.stderr


# Item 9: symbolic links leading out, file by file.

def test_stitch_never_reads_a_tangled_file_linked_out(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    assert project.loom("tangle").exit_code == 0
    tangled = project.root / "tangled_src" / "planted.py"
    (outside / "t.py").write_text(tangled.read_text() + "SECRET = 'SECRET-OUTSIDE'\n")
    tangled.unlink()
    os.symlink(outside / "t.py", tangled)
    run = refused(project, outside, "stitch", where="tangled_src/planted.py")
    assert "leads outside the tangle root through a symbolic link" in run.stderr


def test_stitch_never_reads_a_tangled_folder_linked_out(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": "# A\n\n" + chunk(" {.python file=pkg/t.py}", "x = 1")})
    assert project.loom("tangle").exit_code == 0
    (outside / "pkg").mkdir()
    (outside / "pkg" / "t.py").write_text(project.read("tangled_src/pkg/t.py") + "SECRET = 1\n")
    (project.root / "tangled_src" / "pkg" / "t.py").unlink()
    (project.root / "tangled_src" / "pkg").rmdir()
    os.symlink(outside / "pkg", project.root / "tangled_src" / "pkg")
    refused(project, outside, "stitch", where="tangled_src/pkg/t.py")


@pytest.mark.parametrize("args", [("tangle",), ("check",), ("tangle", "--force"), ("where",
                                  "tangled_src/planted.py:2")], ids=lambda a: "-".join(a))
def test_a_tangled_file_linked_out_is_neither_read_nor_written(project: Project, outside: Path,
                                                               args: tuple) -> None:
    project.write({"literate/a.md": PLANTED})
    assert project.loom("tangle").exit_code == 0
    tangled = project.root / "tangled_src" / "planted.py"
    (outside / "t.py").write_text("SECRET = 'SECRET-OUTSIDE'\n")
    tangled.unlink()
    os.symlink(outside / "t.py", tangled)
    inside, out = snapshot(project.root), snapshot(outside)
    with opened() as seen:
        run = project.loom(*args)
    assert run.exit_code in (0, 2), run.stderr  # `where` needs no tangled file
    assert "SECRET" not in run.stdout + run.stderr
    assert snapshot(outside) == out and not [p for p in seen if "outside" in p]
    if run.exit_code == 2:
        assert snapshot(project.root) == inside and run.stderr.startswith("literate/a.md:3:")


def test_a_manifest_linked_out_is_never_read(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    assert project.loom("tangle").exit_code == 0
    manifest = project.root / "tangled_src" / ".litloom-manifest"
    (outside / "m").write_text("SECRET-OUTSIDE\n")
    manifest.unlink()
    os.symlink(outside / "m", manifest)
    for args in (("tangle",), ("check",), ("stitch",), ("tangle", "--force")):
        refused(project, outside, *args, where="tangled_src/.litloom-manifest")


def test_litloom_s_own_files_linked_out_are_never_read(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    assert project.loom("tangle").exit_code == 0
    state = project.root / "build" / "litloom" / "state.marshal"
    (outside / "state").write_bytes(state.read_bytes())
    state.unlink()
    os.symlink(outside / "state", state)
    refused(project, outside, "tangle", where="build/litloom/state.marshal")


def test_sync_never_reads_a_notebook_linked_out(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    assert project.loom("sync").exit_code == 0
    notebook = project.root / "notebooks" / "a.ipynb"
    (outside / "a.ipynb").write_text(notebook.read_text().replace("x = 1", "x = 'SECRET'"))
    notebook.unlink()
    os.symlink(outside / "a.ipynb", notebook)
    run = refused(project, outside, "sync", where="notebooks/a.ipynb")
    assert "leads outside the project through a symbolic link" in run.stderr


def test_sync_never_writes_through_a_notebooks_folder_linked_out(project: Project,
                                                                  outside: Path) -> None:
    project.write({"literate/a.md": PLANTED, "literate/part/b.md": "# B\n",
                   "notebooks/.keep": ""})
    os.symlink(outside, project.root / "notebooks" / "part")
    refused(project, outside, "sync", where="notebooks/part/b.ipynb")


RUNBOOK = "---\nrunbook: true\nname: {name}\n---\n\n# R\n\n" + chunk(" {.python}", "print(1)")


@pytest.mark.parametrize("name", ["../escape", "OUTSIDE/escape", "sub/escape", "..", "a\\b"])
@pytest.mark.parametrize("args", [("notebooks",), ("run", "--all"), ("run", "X")],
                         ids=lambda a: a[0] + (a[1] if len(a) > 1 else ""))
def test_a_runbook_name_that_is_a_path_is_refused(project: Project, outside: Path, name: str,
                                                  args: tuple) -> None:
    name = name.replace("OUTSIDE", str(outside))  # absolute
    project.write({"literate/r.md": RUNBOOK.replace("{name}", name)})
    args = tuple(name if a == "X" else a for a in args)
    run = refused(project, outside, *args, where="literate/r.md:3")
    assert "is not a plain file name" in run.stderr


def test_notebooks_never_read_or_write_a_notebook_linked_out(project: Project,
                                                             outside: Path) -> None:
    project.write({"literate/r.md": RUNBOOK.replace("{name}", "r"), "notebooks/.keep": ""})
    (outside / "r.ipynb").write_text("SECRET-OUTSIDE")
    os.symlink(outside / "r.ipynb", project.root / "notebooks" / "r.ipynb")
    refused(project, outside, "notebooks", where="notebooks/r.ipynb")


def test_a_plain_runbook_name_still_works(project: Project) -> None:
    project.write({"literate/r.md": RUNBOOK.replace("{name}", "my runbook-1.0")})
    run = project.loom("notebooks")
    assert run.exit_code == 0, run.stderr
    assert (project.root / "notebooks" / "my runbook-1.0.ipynb").is_file()


# Item 9: `loom import nbdev`, and an nbdev project's folders.

CARDS = Path(__file__).parent / "data" / "nbdev-cards"


def cards(tmp_path: Path, lib_path: str | None = None, nbs_path: str | None = None) -> Project:
    root = tmp_path / "cards"
    shutil.copytree(CARDS, root, ignore=shutil.ignore_patterns("*.py"))
    with (root / "pyproject.toml").open("a") as settings:  # [tool.nbdev] is the last table
        settings.write(f'lib_path = "{lib_path}"\n' if lib_path else "")
        settings.write(f'nbs_path = "{nbs_path}"\n' if nbs_path else "")
    return Project(root)


@pytest.mark.parametrize("lib_path", ["OUTSIDE/lib", "../outside/lib", "../../x", "linked",
                                      "via/lib"])
@pytest.mark.parametrize("tangle_root", ["tangled_src", "."])
def test_import_refuses_a_package_outside_the_project(tmp_path: Path, outside: Path,
                                                      lib_path: str, tangle_root: str) -> None:
    project = cards(tmp_path, lib_path.replace("OUTSIDE", str(outside)))
    os.symlink(outside / "lib", project.root / "linked")
    os.symlink(outside, project.root / "via")
    lines = project.read("pyproject.toml").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("lib_path"))
    run = refused(project, outside, "import", "nbdev", str(project.root),
                  "--tangle-root", tangle_root,
                  where=f"pyproject.toml:{line}")
    assert "lib_path" in run.stderr


def test_import_refuses_a_package_file_linked_out(tmp_path: Path, outside: Path) -> None:
    project = cards(tmp_path)
    (project.root / "cards").mkdir(exist_ok=True)
    os.symlink(outside / "lib" / "stolen.py", project.root / "cards" / "stolen.py")
    refused(project, outside, "import", "nbdev", str(project.root), where="cards/stolen.py")


def test_import_in_place_refuses_a_module_linked_out(tmp_path: Path, outside: Path) -> None:
    project = cards(tmp_path)
    (project.root / "cards").mkdir(exist_ok=True)
    os.symlink(outside / "lib" / "stolen.py", project.root / "cards" / "core.py")
    refused(project, outside, "import", "nbdev", str(project.root), "--tangle-root", ".",
            where="cards/core.py")


@pytest.mark.parametrize("nbs_path", ["OUTSIDE/lit", "../outside/lit", "linked"])
def test_an_nbdev_project_s_notebooks_outside_are_refused(tmp_path: Path, outside: Path,
                                                          nbs_path: str) -> None:
    shutil.copy(CARDS / "nbs" / "00_core.ipynb", outside / "lit")
    project = cards(tmp_path, nbs_path=nbs_path.replace("OUTSIDE", str(outside)))
    os.symlink(outside / "lit", project.root / "linked")
    where = "linked" if nbs_path == "linked" else "../outside/lit"
    for args in (("tangle",), ("import", "nbdev", str(project.root))):
        refused(project, outside, *args, where=where)


# Links that stay in the project but leave the tangle root, and odd folders: refused or fine,
# never a crash, never half a run.

def test_a_link_from_the_tangle_root_to_the_sources_is_refused(project: Project,
                                                               outside: Path) -> None:
    project.write({"literate/a.md": "# A\n\n" + chunk(" {.python file=pkg/a.md}", "x = 1")})
    (project.root / "tangled_src").mkdir()
    os.symlink("../literate", project.root / "tangled_src" / "pkg")
    run = refused(project, outside, "tangle", where="literate/a.md:3")
    assert "leads outside the tangle root" in run.stderr


@pytest.mark.parametrize("kind", ["loop", "file", "dangling"])
@pytest.mark.parametrize("path", ["tangled_src", "build", "notebooks", "literate",
                                  "literate/b.md"])
@pytest.mark.parametrize("command", ["tangle", "sync"])
def test_odd_folders_are_refused_or_fine(project: Project, outside: Path, kind: str, path: str,
                                         command: str) -> None:
    project.write({"literate/a.md": PLANTED})
    target = project.root / path
    if target.is_dir():
        shutil.rmtree(target)
    if kind == "file":
        target.write_text("not a folder\n")
    else:
        os.symlink(target.name if kind == "loop" else f"missing-{target.name}", target)
    before, out = snapshot(project.root), snapshot(outside)
    run = project.loom(command)
    assert run.exit_code in (0, 2), run.stderr
    if run.exit_code == 2:
        assert snapshot(project.root) == before and run.stderr.count(":") >= 1
    assert snapshot(outside) == out


def test_a_mermaid_linked_to_a_secret_is_never_published(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED,
                   "pyproject.toml": '[tool.litloom]\nmermaid_js = "vendor/mermaid.min.js"\n'})
    (outside / "id_ed25519").write_text("SECRET-OUTSIDE KEY\n")
    (project.root / "vendor").mkdir()
    os.symlink(outside / "id_ed25519", project.root / "vendor" / "mermaid.min.js")
    inside = snapshot(project.root)
    run = project.loom("weave")
    assert run.exit_code == 2 and run.stderr.startswith("pyproject.toml: vendor/mermaid.min.js")
    assert "not a JavaScript (.js) file" in run.stderr
    assert snapshot(project.root) == inside


def test_a_mermaid_linked_to_a_shared_copy_is_fine(project: Project, outside: Path) -> None:
    project.write({"literate/a.md": PLANTED})
    (outside / "mermaid" / "dist").mkdir(parents=True)
    (outside / "mermaid" / "dist" / "mermaid.min.js").write_text("/* mermaid */\n")
    (project.root / "node_modules").mkdir()
    os.symlink(outside / "mermaid", project.root / "node_modules" / "mermaid")
    run = project.loom("weave")
    assert run.exit_code == 0, run.stderr
    assert project.read("build/docs/assets/javascripts/mermaid.min.js") == "/* mermaid */\n"


def test_init_never_writes_through_a_folder_linked_out(tmp_path: Path, outside: Path) -> None:
    folder = tmp_path / "new"
    folder.mkdir()
    os.symlink(outside / "lit", folder / "literate")
    project = Project(folder)
    inside, out = snapshot(folder), snapshot(outside)
    run = project.loom("init", str(folder))
    assert run.exit_code == 2 and run.stderr.startswith(f"{folder}/literate/index.md:")
    assert snapshot(folder) == inside and snapshot(outside) == out


@pytest.mark.parametrize("target", ["build/litloom/state.marshal", "build/litloom",
                                    "Build/LITLOOM/x.py", "build/site/index.html",
                                    "build/runs/r/x.json", "build/docs/index.md"])
def test_a_target_in_litloom_s_own_folders_is_refused(project: Project, outside: Path,
                                                      target: str) -> None:
    project.write({"pyproject.toml": '[tool.litloom]\ntangle_root = "."\n',
                   "literate/a.md": "# A\n\n" + chunk(f" {{.python file={target}}}", "x = 1")})
    run = refused(project, outside, "tangle", where="literate/a.md:3")
    assert "which litloom writes itself" in run.stderr


def test_a_target_elsewhere_in_build_is_fine(project: Project) -> None:
    project.write({"pyproject.toml": '[tool.litloom]\ntangle_root = "."\n',
                   "literate/a.md": "# A\n\n" + chunk(" {.python file=build/gen.py}", "x = 1")})
    assert project.loom("tangle").exit_code == 0
    assert project.loom("tangle").exit_code == 0 and project.loom("check").exit_code == 0


@pytest.mark.parametrize("name", ["a\tb.py", "a\x1b[2Jb.py", "a\x7fb.py", "a\x01b.py"])
def test_a_control_character_in_a_target_is_refused(project: Project, outside: Path,
                                                    name: str) -> None:
    cells = [nbformat.v4.new_code_cell(f"#| file: {name}\nx = 1")]
    project.write({"literate/n.ipynb": nbformat.writes(nbformat.v4.new_notebook(cells=cells))})
    run = refused(project, outside, "tangle", where="literate/n.ipynb")
    assert "control character" in run.stderr or "malformed" in run.stderr


# An Entangled project's sources are the whole project folder: links to data folders there are
# never followed and stay allowed; a document linked out is refused all the same.

ENTANGLED = '[project]\nname = "x"\n\n[tool.entangled]\nwatch_list = ["**/*.md"]\n'


def test_an_entangled_project_keeps_its_links_to_data(project: Project, outside: Path) -> None:
    (project.root / "pyproject.toml").write_text(ENTANGLED)
    project.write({"docs/a.md": chunk(" {.python file=out/a.py}", "A = 1")})
    os.symlink(outside / "lit", project.root / "data")  # holds secret.md: never followed
    with opened() as seen:
        run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert not [p for p in seen if p.startswith(os.path.realpath(outside))]


def test_an_entangled_document_linked_out_is_refused(project: Project, outside: Path) -> None:
    (project.root / "pyproject.toml").write_text(ENTANGLED)
    project.write({"docs/a.md": chunk(" {.python file=out/a.py}", "A = 1")})
    os.symlink(outside / "secret.md", project.root / "README.md")
    refused(project, outside, "tangle", where="README.md")
