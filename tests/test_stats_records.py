"""`loom stats` measures from records (issue 15): coverage and test durations per chapter,
runbook runs, and import fan-in / fan-out between cells. Not measured yet is never zero."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Project, chunk, loom_process
from litloom.runbooks.record import RunRecord

CALC = "# Calc\n\n" + chunk(
    " {.python file=app/calc.py}",
    "def add(a, b):",
    "    return a + b",
    "",
    "",
    "def unused(a):",
    "    if a:",
    "        return 1",
    "    return 2",
)
SLOW = chunk(
    " {.python .test #adds}",
    "import time",
    "from app.calc import add",
    "time.sleep(0.3)",
    "assert add(1, 2) == 3",
)
TOOL = "# Tool\n\n" + chunk(" {.python file=tool.py}", "X = 1")
OUTSIDE = "import time\n\n\ndef test_outside():\n    time.sleep(0.2)\n"


def stats(project: Project, *args: str) -> dict:
    run = project.loom("stats", "--json", *args)
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)


def records(project: Project) -> dict:
    return stats(project)["records"]


def test_nothing_measured_yet_is_not_zero(project: Project) -> None:
    project.write({"literate/calc.md": CALC + SLOW})
    data = records(project)
    assert data["coverage"] is None
    assert data["tests"] is None
    assert data["runbooks"] == []
    assert data["cells"]["app"]["coverage"] is None and data["cells"]["app"]["test_seconds"] is None
    text = project.loom("stats").stdout
    assert "coverage: not measured yet: run `loom test --cov`" in text
    assert "test durations: not measured yet: run `loom test`" in text


def test_coverage_per_chapter_and_cell_from_the_last_cov_run(project: Project) -> None:
    project.write(
        {
            "literate/calc.md": CALC + SLOW,
            "literate/tool.md": TOOL,
            "literate/notes.md": "# Notes\n\nNo code.\n",
        }
    )
    run = loom_process("test", "--cov", "-q", "-p", "no:cacheprovider", cwd=project.root)
    assert run.exit_code == 0, run.stdout + run.stderr
    data = records(project)
    coverage = data["coverage"]
    assert coverage["measured"]  # when
    calc = coverage["chapters"]["literate/calc.md"]
    assert (calc["statements"], calc["missing"]) == (6, 3)
    assert calc["percent"] == 50.0
    # tool.py is never imported by a test: measured, and zero; notes has no code: absent
    assert coverage["chapters"]["literate/tool.md"] == {
        "statements": 1,
        "missing": 1,
        "percent": 0.0,
    }
    assert "literate/notes.md" not in coverage["chapters"]
    assert data["cells"]["app"]["coverage"] == 50.0
    assert data["cells"]["tool"]["coverage"] == 0.0
    assert data["cells"]["(no code)"]["coverage"] is None
    text = project.loom("stats", "--by", "chapter").stdout
    row = next(
        line for line in text.splitlines() if line.startswith("literate/calc.md") and "%" in line
    )
    assert "50%" in row


def test_test_durations_per_chapter_recorded_by_the_plugin(project: Project) -> None:
    project.write(
        {
            "literate/calc.md": CALC + SLOW,
            "literate/tool.md": TOOL,
            "tests/test_outside.py": OUTSIDE,
        }
    )
    before = records(project)["tests"]
    assert before is None
    run = loom_process("test", "-q", "-p", "no:cacheprovider", cwd=project.root)
    assert run.exit_code == 0, run.stdout + run.stderr
    tests = records(project)["tests"]
    assert tests["finished"]
    calc = tests["chapters"]["literate/calc.md"]
    assert calc["tests"] == 1 and calc["failed"] == 0
    assert 0.3 <= calc["seconds"] < 5
    assert "literate/tool.md" not in tests["chapters"]  # no test there: not a zero
    outside = tests["outside"]["tests/test_outside.py"]
    assert outside["tests"] == 1 and outside["seconds"] >= 0.2
    cells = records(project)["cells"]
    assert cells["app"]["tests"] == 1 and cells["app"]["test_seconds"] >= 0.3
    assert cells["tool"]["test_seconds"] is None
    text = project.loom("stats").stdout
    assert "test durations (last run" in text and "2 tests" in text


def test_durations_under_xdist_and_failures(project: Project) -> None:
    failing = chunk(" {.python .test #fails}", "assert False")
    project.write({"literate/calc.md": CALC + SLOW + failing, "tests/test_outside.py": OUTSIDE})
    run = loom_process("test", "-q", "-n", "2", "-p", "no:cacheprovider", cwd=project.root)
    assert run.exit_code == 1, run.stdout + run.stderr
    calc = records(project)["tests"]["chapters"]["literate/calc.md"]
    assert (calc["tests"], calc["failed"]) == (2, 1)
    assert calc["seconds"] >= 0.3


def test_plain_pytest_records_too_and_a_collect_only_run_keeps_the_record(
    project: Project,
) -> None:
    import subprocess
    import sys

    project.write({"literate/calc.md": CALC + SLOW})
    assert project.loom("tangle").exit_code == 0
    pytest_ = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(pytest_, cwd=project.root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    record = project.root / "build/litloom/tests.json"
    first = record.read_bytes()
    assert json.loads(first)["tests"][0]["file"] == "literate/calc.md"
    subprocess.run([*pytest_, "--collect-only"], cwd=project.root, capture_output=True)
    assert record.read_bytes() == first


@pytest.mark.skipif(not Path("/usr/bin/bwrap").exists(), reason="needs bubblewrap")
def test_durations_of_a_sandboxed_run(project: Project) -> None:
    project.write({"literate/calc.md": CALC + SLOW})
    run = loom_process("test", "--sandbox", "-q", cwd=project.root)
    assert run.exit_code == 0, run.stdout + run.stderr
    calc = records(project)["tests"]["chapters"]["literate/calc.md"]
    assert calc["tests"] == 1 and calc["seconds"] >= 0.3


def test_a_broken_record_is_a_located_warning_not_a_zero(project: Project) -> None:
    project.write({"literate/calc.md": CALC, "build/litloom/tests.json": "{not json"})
    run = project.loom("stats", "--json")
    assert run.exit_code == 0
    assert json.loads(run.stdout)["records"]["tests"] is None
    assert "build/litloom/tests.json: not a record of a test run" in run.stderr
    assert project.loom("--strict", "stats").exit_code == 2


RUNBOOK = "---\nrunbook: true\n---\n\n# Deploy\n\n" + chunk("python", "print('deploying')")


def run_record(project: Project, stamp: str, status: str, seconds: float) -> None:
    record = RunRecord(
        "deploy", "literate/ops/deploy.md", status, f"2025-01-0{stamp}T00:00:00Z", duration=seconds
    )
    project.write({f"build/runs/deploy/2025010{stamp}T000000Z.json": record.to_json()})


def test_runbook_success_rate_and_median_duration(project: Project) -> None:
    project.write(
        {
            "literate/ops/deploy.md": RUNBOOK,
            "literate/tool.md": TOOL,
            "literate/ops/idle.md": RUNBOOK.replace("# Deploy", "# Idle"),
        }
    )
    for stamp, status, seconds in [
        ("1", "succeeded", 1.0),
        ("2", "failed", 0.5),
        ("3", "succeeded", 2.0),
        ("4", "succeeded", 10.0),
        ("5", "rejected", 0.0),
        ("6", "prepared", 0.0),
    ]:
        run_record(project, stamp, status, seconds)
    found = {r["runbook"]: r for r in records(project)["runbooks"]}
    deploy = found["deploy"]
    assert deploy["chapter"] == "literate/ops/deploy.md"
    assert (deploy["runs"], deploy["succeeded"]) == (4, 3)  # rejected, prepared: not runs
    assert deploy["rate"] == 0.75
    assert deploy["median_seconds"] == 2.0
    assert deploy["last_status"] == "prepared"
    idle = found["idle"]
    assert (idle["runs"], idle["rate"], idle["median_seconds"]) == (0, None, None)
    text = project.loom("stats").stdout
    assert "runbook deploy (literate/ops/deploy.md): 3 of 4 runs succeeded (75%)" in text
    assert "median 2.0 s" in text
    assert "runbook idle (literate/ops/idle.md): never run" in text


IMPORTS = {
    "literate/app.md": "# App\n\n"
    + chunk(" {.python file=app/__init__.py}", "")
    + chunk(
        " {.python file=app/main.py}",
        "import lib.util",
        "from tool import X",
        "from . import helper",
        "from .helper import Y",
    )
    + chunk(
        " {.python file=app/helper.py}",
        "Y = 1",
        "def later():",
        "    from lib import util",
        "    return util",
    ),
    "literate/lib.md": "# Lib\n\n"
    + chunk(" {.python file=lib/__init__.py}", "")
    + chunk(" {.python file=lib/util.py}", "import os", "import json"),
    "literate/tool.md": "# Tool\n\n"
    + chunk(" {.python file=tool.py}", "from lib.util import *", "X = 1"),
}


def test_import_fan_in_and_fan_out_between_cells(project: Project) -> None:
    project.write(IMPORTS)
    data = records(project)
    edges = {(e["from"], e["to"]): e for e in data["imports"]["edges"]}
    assert set(edges) == {("app", "lib"), ("app", "tool"), ("tool", "lib")}
    assert edges[("app", "lib")]["imports"] == 2  # main.py and helper.py import lib/util.py
    assert edges[("app", "lib")]["modules"] == [
        "app/helper.py -> lib/util.py",
        "app/main.py -> lib/util.py",
    ]
    cells = data["cells"]
    assert (cells["lib"]["fan_in"], cells["lib"]["fan_out"]) == (2, 0)
    assert (cells["app"]["fan_in"], cells["app"]["fan_out"]) == (0, 2)
    assert (cells["tool"]["fan_in"], cells["tool"]["fan_out"]) == (1, 1)
    text = project.loom("stats").stdout
    assert "imports: app -> lib (2), app -> tool (1), tool -> lib (1)" in text


def test_configured_cells_group_the_imports(project: Project) -> None:
    project.write(IMPORTS)
    project.write(
        {
            "pyproject.toml": project.read("pyproject.toml")
            + '\n[tool.litloom.cells]\ncore = { modules = ["lib/**", "tool.py"] }\n'
        }
    )
    data = records(project)
    edges = {(e["from"], e["to"]): e["imports"] for e in data["imports"]["edges"]}
    assert edges == {("app", "core"): 3}  # tool -> lib is inside core
    assert data["cells"]["core"]["fan_in"] == 1
