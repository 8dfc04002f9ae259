"""Attacks on paths (issue 11, items 1, 9 and 13): nothing litloom reads or writes may lie
outside the project, whatever symbolic links say, and a target names one file on every system.

Each attack is a hostile or unlucky project. It must either work as before (the escapes that
already held) or be refused with a located user error: exit 2, `path[:line]: message` on
standard error, nothing written inside the project or outside it, and nothing read from
outside it (an audit hook watches every `open`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from conftest import Project, Run, chunk

PLANTED = "# A\n\n" + chunk(" {.python file=planted.py}", "x = 1")
SECRET = "# Secret\n\nSECRET-OUTSIDE\n\n" + chunk(" {.python file=secret.py}", "KEY = 'SECRET'")

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], str | Path):
        _OPENED.append(os.path.realpath(args[0]))


sys.addaudithook(_audit)  # an audit hook cannot be removed: it records only while asked


@contextmanager
def opened() -> Iterator[list[str]]:
    """The real paths of every file opened meanwhile."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


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
