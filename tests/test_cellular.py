"""The cellular template as a user gets it: `loom init --template cellular`, then tangled,
checked, tested on the memory bus and on NATS, its site built and its runbooks run.

litloom's environment has the template's dependencies (the `cellular` dependency group), so
this interpreter is what the project's .venv would be, litloom included. The whole template
suite, the site and the runbooks are `slow`; the default run tangles, checks and runs the
end-to-end bus scenario on both transports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import NODE_MODULES, REPO, Run, loom_process

TEMPLATE = REPO / "templates" / "cellular"
TRACE = re.compile(r"cellular[ _-]?app", re.IGNORECASE)
RUNBOOKS = ["load-test", "promote-to-nats", "rotate-key", "start", "verify-audit"]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project made from the template and tangled, as its README says."""
    root = tmp_path_factory.mktemp("cellular")
    made = loom_process("init", "notes-hub", "--template", "cellular", cwd=root)
    assert made.exit_code == 0, made.stderr
    tangled = loom_process("tangle", cwd=root / "notes-hub")
    assert tangled.exit_code == 0, tangled.stderr
    return root / "notes-hub"


def loom(project: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """`loom ARGS` in the project, with time enough for a test suite or a site."""
    command = [str(Path(sys.executable).with_name("loom")), *args]
    done = subprocess.run(
        command,
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def test_the_project_tangles_checks_and_is_the_users_own(made: Path) -> None:
    checked = loom_process("check", cwd=made)
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    package = made / "tangled_src" / "notes_hub"
    assert (package / "bus" / "nats.py").is_file() and (package / "gateway").is_dir()
    assert not [p for p in made.rglob("*") if TRACE.search(p.relative_to(made).as_posix())]
    assert not [p for p in package.rglob("*.py") if TRACE.search(p.read_text("utf-8"))]
    assert 'KEYS_ENV = "NOTES_HUB_KEYS"' in (package / "storage.py").read_text("utf-8")


def test_the_same_scenario_runs_on_the_memory_bus_and_on_nats(made: Path) -> None:
    ran = loom(made, "test", "--", "-v", "-p", "no:cacheprovider", "tests/test_e2e_bus.py")
    assert ran.exit_code == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    for transport in ["memory", "nats"]:
        assert re.search(rf"\[{transport}\] PASSED", ran.stdout), transport
    assert "SKIPPED" not in ran.stdout and "failed" not in ran.stdout


def test_the_templates_pins_are_litloom_s_cellular_group() -> None:
    template = tomllib.loads((TEMPLATE / "pyproject.toml").read_text("utf-8"))
    litloom = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    pins = template["project"]["dependencies"]
    assert all("==" in pin for pin in pins)
    assert sorted(pins) == sorted(litloom["dependency-groups"]["cellular"])


@pytest.mark.slow
def test_the_whole_template_suite_passes(made: Path) -> None:
    ran = loom(made, "test", "--", "-q", "-n", "2", "-p", "no:cacheprovider")
    assert ran.exit_code == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert re.search(r"\b\d{2,} passed", ran.stdout) and "failed" not in ran.stdout


@pytest.mark.slow
def test_the_site_builds_with_its_diagrams(made: Path) -> None:
    if not (NODE_MODULES / "mermaid").is_dir():
        pytest.skip(
            f"no mermaid in {NODE_MODULES} (scripts/setup runs npm ci; or LITLOOM_NODE_MODULES)"
        )
    (made / "node_modules").symlink_to(NODE_MODULES)
    built = loom(made, "build")
    assert built.exit_code == 0, built.stderr
    assert "invalid mermaid" not in built.stderr and "error" not in built.stderr.lower()
    site = made / "build" / "site"
    index = (site / "index.html").read_text("utf-8")
    assert "Notes Hub" in index and not TRACE.search(index)
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert {"bus.html", "gateway.html", "periphery.html", "operations.html"} <= pages


@pytest.mark.slow
def test_the_runbooks_run_as_rehearsals(made: Path) -> None:
    def new_key() -> str:
        code = "from notes_hub.storage import new_key; print(new_key())"
        env = {**os.environ, "PYTHONPATH": str(made / "tangled_src")}
        return subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    secrets = {"LOOM_SECRET_STORAGE_KEYS": new_key(), "LOOM_SECRET_NEW_STORAGE_KEY": new_key()}
    ran = loom(made, "run", "--all", "-j", "2", env=secrets)
    assert ran.exit_code == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    for name in RUNBOOKS:
        assert re.search(rf"loom run: {name} succeeded", ran.stdout + ran.stderr), name
    assert sorted(p.name for p in (made / "build" / "runs").iterdir()) == RUNBOOKS
    # loom stats judges the load test's run from the metrics the gateway exposed
    with (made / "pyproject.toml").open("a", encoding="utf-8") as settings:
        settings.write('\n[tool.litloom.triggers]\nmetrics = ["build/metrics/gateway.prom"]\n')
        settings.write("p95_ms = { search = 0.001 }\n")  # an objective no call can meet
    stats = loom(made, "stats", "--json")
    assert stats.exit_code == 0, stats.stderr
    runtime = json.loads(stats.stdout)["runtime"]
    [search] = [row for row in runtime["latency"] if row["objective"] == "search"]
    assert search["requests"] >= 50 * 10 and search["p95_ms"] > 0
    fired = [f for f in json.loads(stats.stdout)["findings"] if f["trigger"] == "p95"]
    assert fired and "search" in fired[0]["measured"]
