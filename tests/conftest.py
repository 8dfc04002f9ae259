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
from prometheus_client import CollectorRegistry, start_http_server

from litloom.cli import cli

REPO = Path(__file__).resolve().parents[1]
# npm's packages (mermaid): the checkout's, or LITLOOM_NODE_MODULES's, e.g. for a git worktree
NODE_MODULES = Path(os.environ.get("LITLOOM_NODE_MODULES") or REPO / "node_modules")
PYPROJECT = '[project]\nname = "demo"\n\n[tool.litloom]\n'
# What litloom writes in a checkout: no test may write there (tests work on tmp_path copies).
GUARDED = ("build", "literate", "notebooks", "tangled_src")


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


@dataclass(frozen=True)
class Shown:
    """What a command showed on a pseudo-terminal, and whether the answer was typed."""

    exit_code: int
    text: str
    typed: bool


def loom_on_a_terminal(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    answer: tuple[bytes, bytes] | None = None,
    controlling: bool = False,
) -> Shown:
    """Run `loom ARGS` with a 100-column pseudo-terminal as its standard output and error;
    when `controlling`, as its standard input and controlling terminal too. `answer`: type
    its second part once the first is shown (a prompt)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    loom = Path(sys.executable).with_name("loom")
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a bar needs width
    terminal = {"stdin": child, "start_new_session": True,  # the terminal becomes its /dev/tty
                "preexec_fn": lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0)}
    process = subprocess.Popen([str(loom), *args], cwd=cwd, stdout=child, stderr=child,
                               env=env, **(terminal if controlling else {"stdin": subprocess.DEVNULL}))
    os.close(child)
    shown, typed, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        if not select.select([main], [], [], 1)[0]:
            continue
        try:
            data = os.read(main, 65536)
        except OSError:  # every writer is gone
            break
        if not data:
            break
        shown += data
        if answer and not typed and answer[0] in shown:
            os.write(main, answer[1])
            typed = True
    process.wait(timeout=10)
    os.close(main)
    return Shown(process.returncode, shown.decode("utf-8", "replace"), typed)


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


# The checkout guard: the session fails if a test created, changed or removed anything in the
# checkout's GUARDED folders. It runs where the session starts and ends once: in the xdist
# controller (before its workers start, after they end), or in the one process without xdist.
_CHECKOUT = pytest.StashKey[dict[str, tuple[int, int]]]()
_WRITTEN = pytest.StashKey[list[str]]()


def _checkout_state() -> dict[str, tuple[int, int]]:
    """Every file (mtime, size) and folder (0, 0) under the guarded folders of the checkout;
    bytecode caches left out, and so folders' own times, which a new cache changes."""
    state = {}
    for name in GUARDED:
        for folder, folders, files in os.walk(REPO / name):
            folders[:] = [f for f in folders if f != "__pycache__"]
            state[os.path.relpath(folder, REPO)] = (0, 0)
            for file in files:
                try:
                    info = os.lstat(os.path.join(folder, file))
                except FileNotFoundError:
                    continue
                state[os.path.relpath(os.path.join(folder, file), REPO)] = (
                    info.st_mtime_ns,
                    info.st_size,
                )
    return state


def _controls(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")  # an xdist worker has it; the controller not


def pytest_sessionstart(session: pytest.Session) -> None:
    if _controls(session.config):
        session.config.stash[_CHECKOUT] = _checkout_state()


def pytest_sessionfinish(session: pytest.Session) -> None:
    before = session.config.stash.get(_CHECKOUT, None)
    if before is None:
        return
    after = _checkout_state()
    changed = sorted(
        [f"created {p}" for p in after.keys() - before.keys()]
        + [f"removed {p}" for p in before.keys() - after.keys()]
        + [f"changed {p}" for p in after.keys() & before.keys() if after[p] != before[p]]
    )
    if changed:
        session.config.stash[_WRITTEN] = changed
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    changed = config.stash.get(_WRITTEN, None)
    if changed:
        terminalreporter.section("tests wrote into the checkout", red=True, bold=True)
        terminalreporter.line(
            f"{REPO}: tests must work on tmp_path copies, not in the checkout (or another "
            "process wrote there during the run)"
        )
        for line in changed[:50]:
            terminalreporter.line(f"  {line}")
        if len(changed) > 50:
            terminalreporter.line(f"  ... and {len(changed) - 50} more")


class Synthetic:
    """A collector whose families the test sets between reads."""

    def __init__(self) -> None:
        self.families: list = []

    def collect(self) -> Iterator:
        yield from self.families


@pytest.fixture
def server() -> Iterator[tuple[Synthetic, str]]:
    registry, synthetic = CollectorRegistry(), Synthetic()
    registry.register(synthetic)
    httpd, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield synthetic, f"http://127.0.0.1:{httpd.server_port}/metrics"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
