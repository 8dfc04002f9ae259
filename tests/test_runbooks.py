"""Runbooks: notebooks from literate documents, runs with papermill, records, secrets, failures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, Project, chunk, loom_process

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
    assert f"literate/deploy.md:{THIRD}: AssertionError: too many retries" in run.stderr
    first, second = records(ops)
    assert first["status"] == "succeeded"  # earlier runs untouched
    assert second["status"] == "failed" and second["parameters"]["retries"] == 9
    assert second["error"] == {"name": "AssertionError", "value": "too many retries",
                               "cell": second["error"]["cell"],
                               "literate": f"literate/deploy.md:{THIRD}"}


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
    os.symlink(REPO / "node_modules", ops.root / "node_modules")
    loom_process("run", "deploy", "-p", "region", "eu", "-p", "retries", "9", cwd=ops.root,
                 env=ENV)
    run = loom_process("build", cwd=ops.root)
    assert run.exit_code == 0, run.stderr
    index = ops.read("build/docs/runs/index.md")
    assert "| deploy |" in index and "loom-status-failed" in index
    [page] = (ops.root / "build/docs/runs/deploy").glob("*.md")
    text = page.read_text()
    assert "AssertionError" in text and f"literate/deploy.md:{THIRD}" in text
    assert "token is ****" in text and "s3cr3t" not in text
    assert "loom-failed" in text and "\x1b[" not in text
    assert json.loads(ops.read("build/litloom/nav.json"))[-3] == {"Runs": "runs/index.md"}
    assert (ops.root / "build/site/runs/index.html").is_file()


@pytest.mark.parametrize("name", ["release-check", "site-smoke"])
def test_litloom_own_runbooks_pass(tmp_path: Path, name: str) -> None:
    """On a copy of the checkout: the runs' records, and the site site-smoke builds, land in
    the copy's build/, not in the developer's."""
    copy = tmp_path / "litloom"
    leave_out = (".git", "build", "node_modules", ".venv", "tests", "benchmarks", "__pycache__",
                 ".hypothesis", ".pytest_cache")
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(*leave_out), symlinks=True)
    if (REPO / "node_modules").exists():
        os.symlink(REPO / "node_modules", copy / "node_modules")
    run = loom_process("run", name, cwd=copy)
    assert run.exit_code == 0, run.stderr
    assert f"loom run: {name} succeeded" in run.stderr
    assert [p.suffix for p in sorted((copy / "build/runs" / name).iterdir())] == [".ipynb", ".json"]
