"""The command line: version, help, exit codes, colour, and the `loom init` scaffold."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import Project, chunk, loom_process
from litloom import __version__
from litloom.commands.common import use_colour

COMMANDS = ["tangle", "check", "where", "init"]


def test_version_from_the_real_console_script(tmp_path: Path) -> None:
    run = loom_process("--version", cwd=tmp_path)
    assert run.exit_code == 0
    assert run.stdout == f"loom (litloom) {__version__}\n"


def test_version_imports_no_pipeline() -> None:
    code = "import sys; from litloom.cli import main; print('litloom.pipeline' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"


def test_a_no_op_tangle_imports_neither_the_tangle_nor_traceback(project: Project) -> None:
    """What a no-op does not use is not imported: its start is most of its time."""
    project.write({"literate/a.md": chunk(" {.python file=a.py}", "x = 1")})
    past = time.time() - 60  # a file written this instant is read again, however it looks
    os.utime(project.root / "literate" / "a.md", (past, past))
    assert project.loom("tangle").exit_code == 0
    code = (
        "import sys\nfrom litloom.cli import main\nsys.argv = ['loom', 'tangle']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({'litloom.tangle.make', 'traceback', 'secrets'} & set(sys.modules)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=project.root, capture_output=True, text=True, check=True
    )
    assert "0 written, 0 deleted, 1 unchanged" in run.stderr
    assert run.stdout == "[]\n"


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_everywhere(project: Project, command: list[str]) -> None:
    run = project.loom(*command, "--help")
    assert run.exit_code == 0
    assert "Usage: loom" in run.stdout


def test_unknown_command_is_a_usage_error(project: Project) -> None:
    assert project.loom("weev").exit_code == 2


def test_internal_error_says_it_is_a_bug(project: Project, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("litloom.tangle.make.make", broken)  # the pipeline imports it lazily
    project.write({"literate/a.md": "# A\n"})
    run = project.loom("tangle")
    assert run.exit_code == 3
    assert "Traceback" in run.stderr and "ZeroDivisionError: boom" in run.stderr
    assert "This is a bug in litloom" in run.stderr


def test_user_error_from_the_real_console_script(project: Project) -> None:
    project.write({"literate/a.md": chunk(" {.python file=a.py}", "<<gone>>")})
    run = loom_process("tangle", cwd=project.root / "literate")
    assert run.exit_code == 2
    assert run.stderr.startswith("literate/a.md:2: undefined reference <<gone>>")
    assert "Traceback" not in run.stderr


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color() -> None:
    assert use_colour(_Tty(), {}) is True
    assert use_colour(_Tty(), {"NO_COLOR": "1"}) is False
    assert use_colour(io.StringIO(), {}) is False


def test_crlf_documents_tangle_like_lf(project: Project) -> None:
    text = "# A\r\n\r\n```python {file=a.py}\r\nA = 1\r\n<<b>>\r\n```\r\n\r\n" \
           "```python {#b}\r\nB = 2\r\n```\r\n"
    project.write({"literate/a.md": text.encode()})
    assert project.loom("tangle").exit_code == 0
    data = (project.root / "tangled_src/a.py").read_bytes()
    assert b"\r" not in data and data.endswith(b"A = 1\nB = 2\n")


def test_init_scaffold_tangles_and_tests(tmp_path: Path) -> None:
    run = loom_process("init", "hello-world", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    root = tmp_path / "hello-world"
    for path in ["pyproject.toml", "literate/index.md", "mkdocs.yml", "tests/test_greet.py",
                 ".gitignore", "notebooks/.gitkeep", "README.md"]:
        assert (root / path).is_file(), path
    assert not (root / "package.json").exists()  # the site's mermaid comes with litloom
    readme = (root / "README.md").read_text()
    assert "loom build" in readme and "npm" not in readme
    tangled = loom_process("tangle", cwd=root)
    assert tangled.exit_code == 0, tangled.stderr
    assert (root / "tangled_src/hello_world/greet.py").is_file()
    assert loom_process("check", cwd=root).exit_code == 0
    hello = loom_process("run", "hello", "-p", "name", "loom", cwd=root)
    assert hello.exit_code == 0, hello.stderr
    assert "Hello, loom!" in next((root / "build/runs/hello").glob("*.ipynb")).read_text()
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                           cwd=root, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "x" / "literate").mkdir(parents=True)
    (tmp_path / "x" / "literate" / "index.md").write_text("mine")
    run = loom_process("init", "x", cwd=tmp_path)
    assert run.exit_code == 2
    assert "x/literate/index.md: already exists; loom init never overwrites a file" in run.stderr
    assert sorted(p.name for p in (tmp_path / "x").rglob("*")) == ["index.md", "literate"]
    assert (tmp_path / "x" / "literate" / "index.md").read_text() == "mine"


def test_init_rejects_a_bad_package_name(tmp_path: Path) -> None:
    run = loom_process("init", "x", "--name", "class", cwd=tmp_path)
    assert run.exit_code == 2
    assert "'class' is not a valid Python package name" in run.stderr
    assert not (tmp_path / "x").exists()
