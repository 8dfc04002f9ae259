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


NOT_FOR_A_NO_OP = ("litloom.tangle.make", "litloom.readers.", "traceback", "secrets")


@pytest.mark.parametrize(
    ("entry", "unused"),
    [("litloom.cli", NOT_FOR_A_NO_OP), ("litloom.start", (*NOT_FOR_A_NO_OP, "click"))],
)
def test_a_no_op_tangle_imports_only_what_it_uses(
    project: Project, entry: str, unused: tuple[str, ...]
) -> None:
    """What a no-op does not use is not imported: its start is most of its time. Through
    click (any command line but the plain one) and without it (literate/cli.md)."""
    project.write({"literate/a.md": chunk(" {.python file=a.py}", "x = 1")})
    past = time.time() - 60  # a file written this instant is read again, however it looks
    os.utime(project.root / "literate" / "a.md", (past, past))
    assert project.loom("tangle").exit_code == 0
    code = (
        f"import sys\nfrom {entry} import main\nsys.argv = ['loom', 'tangle']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    print(exit.code or 0)\n"
        f"print(sorted(m for m in sys.modules if m.startswith({unused!r})))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=project.root, capture_output=True, text=True, check=True
    )
    assert "0 written, 0 deleted, 1 unchanged" in run.stderr
    assert run.stdout == "0\n[]\n"


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


# `loom tangle` without click (literate/cli.md, "The everyday command, without click")

CLICK_MAIN = "import sys\nfrom litloom.cli import main\nsys.argv[0] = 'loom'\nmain()\n"


def _by_click(*args: str, cwd: Path) -> tuple[int, str, str]:
    """`loom ARGS` through click's command line, as every command but a plain tangle runs."""
    run = subprocess.run([sys.executable, "-c", CLICK_MAIN, *args], cwd=cwd,
                         capture_output=True, text=True, timeout=120)
    return run.returncode, run.stdout, run.stderr


def _by_script(*args: str, cwd: Path) -> tuple[int, str, str]:
    run = loom_process(*args, cwd=cwd)
    return run.exit_code, run.stdout, run.stderr


@pytest.mark.parametrize(
    ("arguments", "flags"),
    [
        (["tangle"], {"verbose": False, "strict": False, "force": False}),
        (["-v", "--strict", "tangle", "--force"], {"verbose": True, "strict": True, "force": True}),
        (["--verbose", "tangle"], {"verbose": True, "strict": False, "force": False}),
        (["tangle", "--help"], None),
        (["-C", "x", "tangle"], None),
        (["tangle", "extra"], None),
        (["check"], None),
        (["--version"], None),
        ([], None),
    ],
)
def test_only_a_plain_tangle_skips_click(arguments: list[str], flags: dict | None) -> None:
    from litloom.start import plain_tangle

    assert plain_tangle(arguments) == flags


def test_a_plain_tangle_says_and_does_what_click_s_does(tmp_path: Path) -> None:
    """The same steps on two copies of a project: the console script's quick path and click's
    command line print the same lines, exit with the same codes and leave the same files."""
    sides = {"quick": (tmp_path / "quick", _by_script), "click": (tmp_path / "click", _by_click)}
    steps = [
        ({"literate/a.md": chunk(" {.python file=a.py}", "<<b>>") + chunk(" {.python #b}", "x = 1")},
         ["tangle"]),
        ({}, ["tangle"]),
        ({}, ["-v", "tangle"]),
        ({"literate/b.md": chunk(" {.python file=b.py}", "<<gone>>")}, ["tangle"]),
        ({"literate/b.md": chunk(" {.python file=b.py colour=red}", "y = 2")}, ["--strict", "tangle"]),
        ({"literate/b.md": chunk(" {.python file=b.py}", "y = 2")}, ["tangle"]),
        ({"tangled_src/b.py": "y = 3\n"}, ["tangle"]),
        ({}, ["tangle", "--force"]),
    ]
    for root, _ in sides.values():
        (root / "literate").mkdir(parents=True)
        (root / "pyproject.toml").write_text('[tool.litloom]\nsource = "literate"\n')
    codes = []
    for number, (files, arguments) in enumerate(steps):
        seen = {}
        for name, (root, run) in sides.items():
            for relative, text in files.items():
                (root / relative).write_text(text)
            files_now = {p: b for p, b in Project(root).snapshot().items()
                         if not p.startswith("build/")}  # traces hold the time of the run
            seen[name] = (*run(*arguments, cwd=root), files_now)
        assert seen["quick"] == seen["click"], (number, arguments)
        codes.append(seen["quick"][0])
    assert codes == [0, 0, 0, 2, 2, 0, 2, 0]


def test_a_bug_in_a_plain_tangle_says_so(project: Project, monkeypatch, capsys) -> None:
    from litloom.commands import quick

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("litloom.tangle.make.make", broken)
    project.write({"literate/a.md": chunk(" {.python file=a.py}", "x = 1")})
    monkeypatch.chdir(project.root)
    assert quick.tangle() == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: boom" in err
    assert err.endswith("This is a bug in litloom; please report it with the traceback above.\n")
    assert not (project.root / "tangled_src").exists()


@pytest.mark.parametrize("how", ["quick", "click"])
def test_a_reader_that_goes_away_ends_the_tangle_quietly(project: Project, how: str) -> None:
    """`loom tangle | head -1`: exit 1 as click's does, no traceback, and the files written."""
    project.write({f"literate/d{k}.md": chunk(f" {{.python file=m{k}.py}}", "x = 1")
                   for k in range(50)})
    command = ([str(Path(sys.executable).with_name("loom"))] if how == "quick"
               else [sys.executable, "-c", CLICK_MAIN])
    process = subprocess.Popen([*command, "tangle"], cwd=project.root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1, err
    assert "Traceback" not in err
    assert len(list((project.root / "tangled_src").glob("m*.py"))) == 50
