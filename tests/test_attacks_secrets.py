"""Attacks on secrets: a runbook's secret must never show in clear, wherever a value can go;
and malformed runbook inputs are located errors (exit 2), never crashes.

Each runbook here runs for real, with papermill, its secrets given as LOOM_SECRET_<NAME>.
A secret counts as shown if any of its forms appears (raw, JSON-escaped, HTML-escaped, Python
repr, URL-quoted), or, for the plain one, any 6 characters of it in a row."""

from __future__ import annotations

import html
import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import NODE_MODULES, PYPROJECT, REPO, Project, chunk, loom_on_a_terminal, loom_process

TOKEN = "Zq7uK2pWv9xRtY4m"  # an identifier: it can even name an exception class
PASSWORD = 'p@ss<w0rd>&"it\'s\\z'  # every character an escape changes
KEY = "-----BEGIN TEST KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END TEST KEY-----"
OTHER = "undeclared-8d1e5c2a"  # a LOOM_SECRET_ the runbook does not declare
ENV = {"LOOM_SECRET_TOKEN": TOKEN, "LOOM_SECRET_PASSWORD": PASSWORD, "LOOM_SECRET_KEY": KEY,
       "LOOM_SECRET_OTHER": OTHER}


def forms(secret: str) -> set[str]:
    """The texts that show `secret` to a reader (written here, not taken from litloom)."""
    found = {secret, json.dumps(secret)[1:-1], html.escape(secret), repr(secret)[1:-1],
             json.dumps(html.escape(secret))[1:-1], urllib.parse.quote(secret, safe=""),
             html.escape(secret, quote=False)}
    found.update(line for line in secret.splitlines() if len(line) >= 8)
    if secret.isalnum():
        found.update(secret[i:i + 6] for i in range(len(secret) - 5))
    return found


def leaks(text: str) -> list[str]:
    return sorted(form for secret in ENV.values() for form in forms(secret) if form in text)


def files_leaking(root: Path) -> dict[str, list[str]]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            shown = leaks(path.read_bytes().decode("utf-8", "replace"))
            if shown:
                found[path.relative_to(root).as_posix()] = shown
    return found


# The leaking runbook: each step sends the secrets down another path.
STEPS = [
    ("print in pieces, one cell", "import sys, time",
     "print(token[:4], end=''); sys.stdout.flush(); time.sleep(0.3); print(token[4:])"),
    ("print in pieces, two cells (1)", "print('half', token[:7], end='')"),
    ("print in pieces, two cells (2)", "print(token[7:])"),
    ("stderr stream", "import sys", "print('err', token, file=sys.stderr)"),
    ("file descriptors", "import os",
     "os.write(1, ('fd1 ' + token + '\\n').encode())",
     "os.write(2, ('fd2 ' + password + '\\n').encode())"),
    ("a file descriptor in pieces, over time", "import os, time",
     "os.write(1, token[:3].encode()); time.sleep(0.3); os.write(1, (token[3:] + '\\n').encode())"),
    ("a subprocess", "import subprocess",
     "subprocess.run(['sh', '-c', 'echo sub $LOOM_SECRET_TOKEN; echo sub $LOOM_SECRET_OTHER >&2'])"),
    ("the kernel's own stderr, and at its exit", "import sys, os, atexit",
     "sys.__stderr__.write('dunder ' + token + '\\n'); sys.__stderr__.flush()",
     "atexit.register(lambda: os.write(2, ('atexit ' + token + '\\n').encode()))"),
    ("logging and warnings", "import logging, warnings",
     "logging.getLogger('step').warning('log %s', token)", "warnings.warn('warn ' + password)"),
    ("raw display, JSON nested, metadata",
     "from IPython.display import display, HTML",
     "display({'text/plain': 'raw ' + token, 'application/json': {'k': [{'deep': password}]}},"
     " raw=True, metadata={'m': token})",
     "display(HTML('<b>' + __import__('html').escape(password) + '</b>'))"),
    ("escaped forms", "import json, urllib.parse",
     "print(json.dumps({'p': password}))", "print(urllib.parse.quote(password, safe=''))"),
    ("a multi-line key, line by line", "for line in key.splitlines(): print('>', line)"),
    ("an undeclared secret", "import os", "print('other', os.environ['LOOM_SECRET_OTHER'])"),
    ("a result's repr", "password"),
    ("the error", "raise RuntimeError('failed with ' + token + ' and ' + password)"),
]
LEAK = ("---\ntitle: Leak\nrunbook: true\nsecrets: [token, password, key]\n---\n\n# Leak\n\n"
        + chunk(" {.python .parameters}", "target = 'nowhere'")
        + "".join(f"\n{title}:\n\n" + chunk("python", *code) for title, *code in STEPS))


def site_project(root: Path) -> Project:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    os.symlink(NODE_MODULES, root / "node_modules")
    return Project(root).write({"mkdocs.yml": (REPO / "mkdocs.yml").read_text()})


@pytest.fixture(scope="module")
def leaked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, object]:
    """The leaking runbook, run once with a parameter equal to a secret, then built into a
    site (by a build that knows no secret: what it shows was masked by the run)."""
    project = site_project(tmp_path_factory.mktemp("leak") / "proj")
    project.write({"literate/leak.md": LEAK})
    run = loom_process("run", "leak", "-p", "target", TOKEN, cwd=project.root, env=ENV)
    build = loom_process("build", cwd=project.root, env={k: "" for k in ENV})
    assert build.exit_code == 0, build.stderr
    return project, run


def test_the_leaking_runbook_ran_to_its_error(leaked) -> None:
    project, run = leaked
    assert run.exit_code == 1, run.stderr
    assert "RuntimeError: failed with **** and ****" in run.stderr
    notebook = next((project.root / "build/runs/leak").glob("*.ipynb")).read_text()
    for shown in ["fd1 ****", "sub ****", "other ****", "> ****", "log ****", "dunder ****"]:
        assert shown in notebook or shown in run.stdout + run.stderr, shown


@pytest.mark.parametrize("where", ["stdout", "stderr"])
def test_the_terminal_shows_no_secret(leaked, where: str) -> None:
    _, run = leaked
    assert leaks(getattr(run, where)) == []


def test_no_file_of_the_build_holds_a_secret(leaked) -> None:
    project, _ = leaked
    assert files_leaking(project.root / "build") == {}


def test_the_record_masks_the_error_and_the_parameter(leaked) -> None:
    project, _ = leaked
    [record] = [json.loads(p.read_text()) for p in (project.root / "build/runs/leak").glob("*.json")]
    assert record["error"]["value"] == "failed with **** and ****"
    assert record["parameters"] == {"target": "****"}


def test_the_site_pages_and_search_index_show_masks(leaked) -> None:
    project, _ = leaked
    [page] = (project.root / "build/docs/runs/leak").glob("*.md")
    text = page.read_text()
    from litloom.weave.book import escape_markdown  # the site escapes a parameter's text

    assert "failed with **** and ****" in text and escape_markdown("target='****'") in text
    index = project.read("build/site/search/search_index.json")
    assert "failed with **** and ****" in index and leaks(index) == []


def test_no_scratch_folder_is_left(leaked) -> None:
    project, _ = leaked
    for folder in Path("/dev/shm").glob("loom-run-*"):  # others' live runs may be there
        notebook = folder / "in.ipynb"
        assert not notebook.exists() or "Leak" not in notebook.read_text(errors="replace")


def test_an_exception_named_by_a_secret(project: Project) -> None:
    project.write({"literate/named.md": "---\nrunbook: true\nsecrets: [token]\n---\n\n"
                   + chunk("python", "raise type(token, (Exception,), {})(token)")})
    run = loom_process("run", "named", cwd=project.root, env=ENV)
    assert run.exit_code == 1 and "****: ****" in run.stderr
    assert leaks(run.stdout + run.stderr) == [] and files_leaking(project.root / "build") == {}


def test_a_rejected_run_masks_its_parameters(project: Project) -> None:
    project.write({"literate/leak.md": LEAK})
    run = loom_process("run", "leak", "-p", "colour", TOKEN, cwd=project.root, env=ENV)
    assert run.exit_code == 2 and "unknown parameter 'colour'" in run.stderr
    [record] = (project.root / "build/runs/leak").glob("*.json")
    assert json.loads(record.read_text())["parameters"] == {"colour": "****"}
    assert leaks(run.stdout + run.stderr) == [] and files_leaking(project.root / "build") == {}


@pytest.mark.parametrize("args", [["-p", TOKEN, "1"], ["-p", TOKEN, "'unterminated"]])
def test_a_secret_typed_as_a_parameter_name(project: Project, args: list[str]) -> None:
    project.write({"literate/leak.md": LEAK})
    run = loom_process("run", "leak", *args, cwd=project.root, env=ENV)
    assert run.exit_code == 2 and ("'****'" in run.stderr or "-p ****:" in run.stderr)
    assert leaks(run.stdout + run.stderr) == [] and files_leaking(project.root) == {}


def test_the_site_masks_an_old_unmasked_record(tmp_path: Path) -> None:
    """A record written by an older litloom, in clear: the weave masks what its environment knows."""
    project = site_project(tmp_path / "proj")
    project.write({"literate/leak.md": LEAK, "build/runs/leak/20200101T000000Z.json": json.dumps(
        {"runbook": "leak", "status": "failed", "start": "2020-01-01T00:00:00+00:00",
         "parameters": {"target": PASSWORD}, "error": {"name": "E", "value": f"bad {TOKEN}"}})})
    run = loom_process("weave", cwd=project.root, env=ENV)
    assert run.exit_code == 0, run.stderr
    assert files_leaking(project.root / "build/docs") == {}
    assert "bad ****" in project.read("build/docs/runs/leak/20200101T000000Z.md")


SLOW = ("---\nrunbook: true\nsecrets: [token]\n---\n\n# Slow\n\n"
        + chunk("python", "print('printed', token)") + "\n" + chunk("python", "import time",
                                                                    "time.sleep(60)"))


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="scratch folders go to /dev/shm")
def test_a_killed_run_leaves_a_private_folder_that_the_next_run_removes(project: Project) -> None:
    project.write({"literate/slow.md": SLOW, "literate/quick.md": "---\nrunbook: true\n---\n\n"
                   + chunk("python", "print(1)")})
    loom = Path(sys.executable).with_name("loom")
    before = set(Path("/dev/shm").glob("loom-run-*"))
    process = subprocess.Popen([str(loom), "run", "slow"], cwd=project.root,
                               env={**os.environ, **ENV}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        folder = _wait_for_scratch(before, "printed")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for name in ("in.ipynb", "out.ipynb", "lock"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert folder.exists()  # killed: nothing could remove it
    run = loom_process("run", "quick", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    assert not folder.exists()


def _wait_for_scratch(before: set[Path], text: str) -> Path:
    """The new scratch folder, once papermill has saved `text` into it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for folder in set(Path("/dev/shm").glob("loom-run-*")) - before:
            try:
                if text in (folder / "out.ipynb").read_text():
                    return folder
            except OSError:
                pass
        time.sleep(0.1)
    raise AssertionError("no scratch folder with the run's output")


def test_a_secret_typed_at_the_prompt_on_a_terminal(project: Project) -> None:
    """On a terminal: the secret is typed at the prompt (no LOOM_SECRET_ variable at all), and
    the filter is a pseudo-terminal, so papermill still draws its progress bar (asked for with
    --no-log-output: on a terminal, the steps' own output is shown instead)."""
    project.write({"literate/tty.md": "---\nrunbook: true\nsecrets: [token]\n---\n\n"
                   + chunk("python", "import os", "os.write(2, ('tty ' + token + '\\n').encode())")})
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOOM_SECRET_")}
    shown = loom_on_a_terminal("run", "tty", "--no-log-output", cwd=project.root, env=environment,
                               answer=(b"(LOOM_SECRET_TOKEN): ", TOKEN.encode() + b"\n"),
                               controlling=True)
    text = shown.text
    assert shown.exit_code == 0 and shown.typed, text
    assert "tty ****" in text and "Executing" in text and leaks(text) == []
    assert files_leaking(project.root / "build") == {}


def test_every_runbook_at_once(project: Project) -> None:
    project.write({"literate/named.md": "---\nrunbook: true\nsecrets: [token]\n---\n\n"
                   + chunk("python", "print(token)", "raise RuntimeError(token)"),
                   "literate/plain.md": "---\nrunbook: true\n---\n\n"
                   + chunk("python", "import os", "print(os.environ['LOOM_SECRET_PASSWORD'])")})
    run = loom_process("run", "--all", "-j", "2", cwd=project.root, env=ENV)
    assert run.exit_code == 1 and "RuntimeError: ****" in run.stderr
    assert leaks(run.stdout + run.stderr) == [] and files_leaking(project.root / "build") == {}


# Malformed runbook inputs: located user errors, exit 2, nothing written but a rejected record.

DEPLOY = ("---\nrunbook: true\n---\n\n# Deploy\n\n" + chunk(" {.python .parameters}", "x = 1")
          + "\n" + chunk("python", "print(x)"))
GIVEN = "literate/deploy.md:7: parameter"  # where a -p value's problem is: the parameters chunk
LAUGHS = "[" + ", ".join(["&a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
                         + [f"&{c} [" + ", ".join([f"*{p}"] * 10) + "]"
                            for p, c in zip("abcdefgh", "bcdefghi", strict=True)]) + "]"


@pytest.mark.parametrize(("args", "message"), [
    (["-p", "x", '"unterminated'], "literate/deploy.md:7: parameter 'x' given with -p: not a YAML "
                                   "value (found unexpected end of stream)"),
    (["-p", "x", "[" * 2000 + "]" * 2000],
     "literate/deploy.md:7: parameter 'x' given with -p: not a YAML value (nested too deep)"),
    (["-p", "x", "{a: [b, 'c"], "literate/deploy.md:7: parameter 'x' given with -p: not a YAML"),
])
def test_a_parameter_value_yaml_cannot_read(project: Project, args: list[str],
                                            message: str) -> None:
    """Located at the runbook's parameters chunk, and recorded as a rejected run, as typed."""
    project.write({"literate/deploy.md": DEPLOY})
    before = project.snapshot()
    run = loom_process("run", "deploy", *args, cwd=project.root)
    assert run.exit_code == 2 and run.stderr.startswith(message), run.stderr
    assert "Traceback" not in run.stderr and "a bug in litloom" not in run.stderr
    [path] = (project.root / "build/runs/deploy").glob("*.json")
    record = json.loads(path.read_text())
    assert record["status"] == "rejected" and record["parameters"] == {"x": args[2]}
    assert record["error"]["literate"] == "literate/deploy.md:7"
    assert message in record["error"]["value"]
    written = {k: v for k, v in project.snapshot().items() if not k.startswith("build/runs/")}
    assert written == before


@pytest.mark.parametrize(("args", "files", "message"), [
    (["-p", "x", "&a [*a]"], {}, f"{GIVEN} 'x' given with -p: it contains itself"),
    (["-p", "x", LAUGHS], {}, f"{GIVEN} 'x' given with -p: more than 100,000 values"),
    (["-p", "x", "[" * 150 + "]" * 150], {}, f"{GIVEN} 'x' given with -p: nested more than 100"),
    (["-p", "a b", "1", "--allow-unknown"], {}, f"{GIVEN} 'a b' given with -p: not a Python"),
    (["-p", "class", "1", "--allow-unknown"], {}, f"{GIVEN} 'class' given with -p: not a Python"),
    (["-f", "p.yaml"], {"p.yaml": "1: one\nx: 2\n"}, "p.yaml: a params file must be a YAML mapping"),
    (["-f", "p.yaml"], {"p.yaml": "x: &a {k: *a}\n"}, "p.yaml: parameter 'x': it contains itself"),
    (["-f", "p.yaml"], {"p.yaml": "x: " + "[" * 2000 + "]" * 2000 + "\n"},
     "p.yaml: malformed params file: nested too deep"),
])
def test_a_parameter_that_is_not_plain_data(project: Project, args: list[str],
                                            files: dict[str, str], message: str) -> None:
    project.write({"literate/deploy.md": DEPLOY, **files})
    started = time.monotonic()
    run = loom_process("run", "deploy", *args, cwd=project.root)
    assert run.exit_code == 2 and run.stderr.startswith(message), run.stderr
    assert time.monotonic() - started < 20 and "Traceback" not in run.stderr
    [record] = (project.root / "build/runs/deploy").glob("*.json")
    assert json.loads(record.read_text())["status"] == "rejected"
    assert not list((project.root / "build/runs/deploy").glob("*.ipynb"))


@pytest.mark.parametrize(("front", "message"), [
    ("secrets: 5", "literate/bad.md:3: secrets must be a list of names, like [token], not int"),
    ("secrets: token", "literate/bad.md:3: secrets must be a list of names"),
    ('secrets: [5, "a b"]',
     "literate/bad.md:3: secret names must be Python identifiers (not keywords): 5, 'a b'"),
    ("secrets: [class, {a: 1}]", "literate/bad.md:3: secret names must be Python identifiers"),
    ("name: ../../escaped", "literate/bad.md:3: runbook name '../../escaped' is not a plain"),
    ("name: a/b", "literate/bad.md:3: runbook name 'a/b' is not a plain file name"),
    ("name: ''", "literate/bad.md:3: runbook name '' is not a plain file name"),
    ("name: [a]", "literate/bad.md:3: a runbook's name is text, not list"),
    ("name: deploy", "literate/deploy.md:1: runbook 'deploy' is also literate/bad.md; rename one"),
])
@pytest.mark.parametrize("command", [["run", "deploy"], ["notebooks"]])
def test_malformed_front_matter_of_a_runbook(project: Project, front: str, message: str,
                                              command: list[str]) -> None:
    project.write({"literate/deploy.md": DEPLOY,
                   "literate/bad.md": f"---\nrunbook: true\n{front}\n---\n\n"
                   + chunk("python", "print(1)")})
    before = project.snapshot()
    run = project.loom(*command)
    assert run.exit_code == 2 and message in run.stderr, run.stderr
    assert project.snapshot() == before
    assert not (project.root.parent / "escaped").exists()
