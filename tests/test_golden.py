"""Golden tests: each folder of tests/data/tangle is a project; `expected/` is what it tangles to.

Set LITLOOM_UPDATE_GOLDEN=1 to write missing or changed expectations, then review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import PYPROJECT, Project

DATA = Path(__file__).parent / "data" / "tangle"
CASES = sorted(p.name for p in DATA.iterdir() if p.is_dir())
UPDATE = os.environ.get("LITLOOM_UPDATE_GOLDEN") == "1"


def _outputs(root: Path, case: Path) -> dict[str, bytes]:
    """Every file the tangle wrote: all files except the inputs."""
    inputs = {p.relative_to(case).as_posix() for p in case.rglob("*") if p.is_file()}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() not in inputs
        and not p.relative_to(root).as_posix().startswith(("build/", "expected/"))
        and p.name != "pyproject.toml"
    }


@pytest.mark.parametrize("name", CASES)
def test_golden(tmp_path: Path, name: str) -> None:
    case = DATA / name
    root = tmp_path / name
    shutil.copytree(case / "literate", root / "literate")
    pyproject = case / "pyproject.toml"
    (root / "pyproject.toml").write_text(pyproject.read_text() if pyproject.exists() else PYPROJECT)
    run = Project(root).loom("tangle")
    assert run.exit_code == 0, run.stderr
    got = _outputs(root, case)
    expected_dir = case / "expected"
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for relative, data in got.items():
            (expected_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / relative).write_bytes(data)
    expected = {p.relative_to(expected_dir).as_posix(): p.read_bytes()
                for p in sorted(expected_dir.rglob("*")) if p.is_file()}
    assert got == expected
    again = Project(root).loom("check")
    assert again.exit_code == 0, again.stdout + again.stderr
