"""litloom is written in itself: the committed package reproduces tangled_src/ byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, Project, loom_process


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_tangling_literate_reproduces_tangled_src(tmp_path: Path) -> None:
    copy = tmp_path / "litloom"
    shutil.copytree(REPO / "literate", copy / "literate")
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    run = Project(copy).loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert _tree(copy / "tangled_src") == _tree(REPO / "tangled_src")


def test_loom_check_passes_on_this_repository() -> None:
    run = loom_process("check", cwd=REPO)
    assert run.exit_code == 0, run.stdout + run.stderr
