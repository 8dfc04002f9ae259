"""Shared fixtures: a temporary litloom project per test, and ways to run `loom` on it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from litloom.cli import cli

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = '[project]\nname = "demo"\n\n[tool.litloom]\n'


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


class Project:
    """A throwaway project folder with helpers to write documents and run loom in it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: dict[str, str | bytes]) -> Project:
        for relative, content in files.items():
            path = self.root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", newline="")
        return self

    def loom(self, *args: str) -> Run:
        """Run loom in-process (fast), as a user would from the project folder."""
        result = CliRunner().invoke(cli, ["-C", str(self.root), *args], prog_name="loom")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")

    def snapshot(self) -> dict[str, bytes]:
        """Every file under the project, with its bytes: to prove nothing was written."""
        return {
            p.relative_to(self.root).as_posix(): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        }

    def tangled(self) -> dict[str, str]:
        root = self.root / "tangled_src"
        if not root.exists():
            return {}
        return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*"))
                if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    return Project(root)


def loom_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run the real `loom` console script in a subprocess."""
    loom = Path(sys.executable).with_name("loom")
    result = subprocess.run([str(loom), *args], cwd=cwd, capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=120)
    return Run(result.returncode, result.stdout, result.stderr)


def chunk(info: str, *lines: str, fence: str = "```") -> str:
    """A fenced chunk, for building documents in tests."""
    return "\n".join([f"{fence}{info}", *lines, fence]) + "\n"


_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], str | Path):
        _OPENED.append(os.path.realpath(args[0]))


sys.addaudithook(_audit)  # an audit hook cannot be removed: it records only while asked


@contextmanager
def opened() -> Iterator[list[str]]:
    """The real paths of every file this process opens meanwhile."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None
