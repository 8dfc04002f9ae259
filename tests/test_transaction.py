"""The write transaction: unchanged files keep their mtime, removed targets go, edits are kept."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import Project, chunk
from litloom.store import writer


def doc(*targets: str) -> str:
    return "".join(chunk(f" {{.python file={t}}}", f"NAME = {t!r}") for t in targets)


def test_unchanged_file_is_not_rewritten(project: Project) -> None:
    project.write({"literate/a.md": doc("a.py", "b.py")})
    assert project.loom("tangle").exit_code == 0
    a, b = project.root / "tangled_src/a.py", project.root / "tangled_src/b.py"
    os.utime(a, ns=(1_000_000_000, 1_000_000_000))
    os.utime(b, ns=(1_000_000_000, 1_000_000_000))
    project.write({"literate/a.md": doc("a.py", "b.py").replace("'b.py'", "'B'")})
    run = project.loom("tangle")
    assert run.stdout == "wrote tangled_src/b.py\n"
    assert "1 written, 0 deleted, 1 unchanged" in run.stderr
    assert a.stat().st_mtime_ns == 1_000_000_000
    assert b.stat().st_mtime_ns != 1_000_000_000


def test_removed_target_is_deleted_and_empty_folders_pruned(project: Project) -> None:
    project.write({"literate/a.md": doc("keep.py", "pkg/sub/gone.py")})
    project.loom("tangle")
    (project.root / "tangled_src/pkg/extra.txt").write_text("mine")
    project.write({"literate/a.md": doc("keep.py")})
    run = project.loom("tangle")
    assert run.exit_code == 0
    assert "deleted tangled_src/pkg/sub/gone.py" in run.stdout
    assert not (project.root / "tangled_src/pkg/sub").exists()
    assert (project.root / "tangled_src/pkg/extra.txt").read_text() == "mine"
    assert "pkg/sub/gone.py" not in project.read("tangled_src/.litloom-manifest")


def test_hand_edited_file_is_refused_then_forced(project: Project) -> None:
    project.write({"literate/a.md": doc("a.py")})
    project.loom("tangle")
    edited = project.root / "tangled_src/a.py"
    edited.write_text(edited.read_text() + "HAND = 1\n")
    project.write({"literate/a.md": doc("a.py").replace("NAME", "OTHER")})
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2
    line = next(i for i, text in enumerate(edited.read_text().splitlines(), 1) if "NAME" in text)
    assert run.stderr.startswith(
        f"tangled_src/a.py:{line}: edited by hand since litloom wrote it, and its literate "
        "sources changed too, so `loom stitch` cannot tell the two apart: to keep the edit, "
        "make it in its chunk by hand (`loom where tangled_src/a.py:LINE` finds the chunk), "
        "then run `loom tangle --force`; to drop it, run `loom tangle --force`\n"
    ), run.stderr
    assert "later:" not in run.stderr
    assert project.snapshot() == before
    forced = project.loom("tangle", "--force")
    assert forced.exit_code == 0
    assert "HAND" not in edited.read_text() and "OTHER" in edited.read_text()


def test_hand_edited_removed_target_is_not_deleted(project: Project) -> None:
    project.write({"literate/a.md": doc("a.py", "b.py")})
    project.loom("tangle")
    (project.root / "tangled_src/b.py").write_text("precious = True\n")
    project.write({"literate/a.md": doc("a.py")})
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert (
        "tangled_src/b.py:1: edited by hand since litloom wrote it, and no chunk makes it any "
        "more, so `loom stitch` has no chunk to put the edit in: to keep the file, move or rename "
        "it; to delete it, run `loom tangle --force`\n"
    ) in run.stderr
    assert (project.root / "tangled_src/b.py").read_text() == "precious = True\n"
    assert project.loom("tangle", "--force").exit_code == 0
    assert not (project.root / "tangled_src/b.py").exists()


def test_file_mode_follows_the_umask(project: Project) -> None:
    project.write({"literate/a.md": doc("a.py")})
    old = os.umask(0o027)
    try:
        project.loom("tangle")
    finally:
        os.umask(old)
    assert stat.S_IMODE((project.root / "tangled_src/a.py").stat().st_mode) == 0o640


def test_output_is_byte_deterministic(project: Project, tmp_path) -> None:
    project.write({"literate/z.md": doc("z.py") + chunk(" {.python #n}", "Z = 1"),
                   "literate/a.md": chunk(" {.python #n}", "A = 1") + doc("a.py")})
    project.loom("tangle")

    def outputs() -> dict[str, bytes]:  # all but the traces, which hold timestamps by design
        return {p: d for p, d in project.snapshot().items() if not p.endswith(".marshal")}

    first = outputs()
    assert "build/litloom/sourcemap.json" in first
    for path in (project.root / "tangled_src").rglob("*.py"):
        path.unlink()
    (project.root / "tangled_src/.litloom-manifest").unlink()
    project.loom("tangle")
    assert outputs() == first


def test_failed_staging_leaves_nothing_behind(project: Project, monkeypatch) -> None:
    project.write({"literate/a.md": doc("a.py", "new/b.py")})
    project.loom("tangle")
    project.write({"literate/a.md": doc("a.py", "new/b.py", "newer/deep/c.py").replace("NAME", "N")})
    before = project.snapshot()
    folders = sorted(p for p in project.root.rglob("*") if p.is_dir())
    real_open = os.open

    def failing_open(path, flags, mode=0o777, **kwargs):
        if "c.py" in str(path):
            raise OSError(28, "No space left on device", str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(writer.os, "open", failing_open)
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "cannot write: No space left on device" in run.stderr
    assert project.snapshot() == before
    assert sorted(p for p in project.root.rglob("*") if p.is_dir()) == folders


@pytest.mark.parametrize("text", [
    "not a manifest\n",
    "# litloom manifest v1: x\nnot-a-hash  a.py\n",
])
def test_malformed_manifest_is_a_located_error(project: Project, text: str) -> None:
    project.write({"literate/a.md": doc("a.py"), "tangled_src/.litloom-manifest": text})
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert run.stderr.startswith("tangled_src/.litloom-manifest:")


def test_manifest_is_sorted_one_line_per_file(project: Project) -> None:
    project.write({"literate/a.md": doc("z.py", "a/b.py", "m.py")})
    project.loom("tangle")
    lines = project.read("tangled_src/.litloom-manifest").splitlines()
    assert lines[0].startswith("# litloom manifest v1")
    assert [line.split("  ")[1] for line in lines[1:]] == ["a/b.py", "m.py", "z.py"]
    assert all(len(line.split("  ")[0]) == 64 for line in lines[1:])


def write_all(root, files: dict[str, bytes]) -> None:
    writes = writer.Transaction()
    for path, data in files.items():
        writes.write(root / path, data)
    writes.commit()


def test_a_transaction_writes_all_or_nothing(tmp_path) -> None:
    from litloom.errors import UserError

    (tmp_path / "blocker").write_text("a file where a folder must go")
    with pytest.raises(UserError) as raised:
        write_all(tmp_path, {"a/one.md": b"1", "blocker/two.md": b"2", "z.md": b"3"})
    assert str(raised.value.diagnostics[0]).endswith("blocker: cannot make the folder: File exists")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["blocker"]  # no file, no folder
    write_all(tmp_path, {"a/one.md": b"1", "z.md": b"3"})
    assert (tmp_path / "a/one.md").read_bytes() == b"1" and (tmp_path / "z.md").read_bytes() == b"3"


def test_a_malformed_manifest_at_the_project_root_is_located_at_its_path(tmp_path) -> None:
    """With the tangle root at the project root, the manifest's problems name the manifest."""
    from conftest import Project

    project = Project(tmp_path).write({
        "pyproject.toml": '[project]\nname = "demo"\n\n[tool.litloom]\ntangle_root = "."\n',
        "literate/a.md": doc("a.py"),
        ".litloom-manifest": "not a manifest\n",
    })
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert run.stderr.startswith(".litloom-manifest:1: not a litloom manifest")
