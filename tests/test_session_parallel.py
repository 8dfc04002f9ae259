"""Notebook sessions run in parallel, each whole and in its order, reported as pytest would."""

from __future__ import annotations

import json
from pathlib import Path

from test_nbdev import _line_of, _notebook, _pytest
from test_nbdev import nbdev_project as nbdev_project  # the fixture

from conftest import Project


def _cells(name: str, count: int) -> list[tuple[str, str]]:
    record = (
        f"import os, json, pathlib\nlog = pathlib.Path('../{name}.log')\n"
        "with log.open('a') as f: f.write(json.dumps([os.getpid(), {n}]) + '\\n')"
    )
    cells = [("code", f"#| default_exp {name}"), ("code", f"#| export\nNAME = {name!r}")]
    cells += [("code", record.replace("{n}", str(n))) for n in range(count)]
    return cells


def _log(root: Path, name: str) -> list[list[int]]:
    return [json.loads(t) for t in (root / f"{name}.log").read_text().splitlines()]


def test_sessions_run_in_two_processes_each_in_order(nbdev_project: Project) -> None:
    nbdev_project.write({f"nbs/{n}.ipynb": _notebook(*_cells(n, 5)) for n in ("aa", "bb")})
    (nbdev_project.root / "pyproject.toml").write_text(
        '[project]\nname = "my-lib"\n\n[tool.nbdev]\n\n'
        '[tool.pytest.ini_options]\nlitloom_session_workers = "2"\nlitloom_test_times = false\n'
    )
    assert nbdev_project.loom("tangle").exit_code == 0
    run = _pytest(nbdev_project.root, "-q")
    assert run.returncode == 0, run.stdout
    assert "10 passed" in run.stdout
    aa, bb = _log(nbdev_project.root, "aa"), _log(nbdev_project.root, "bb")
    assert [n for _, n in aa] == list(range(5)) and [n for _, n in bb] == list(range(5))
    assert len({pid for pid, _ in aa}) == 1 and len({pid for pid, _ in bb}) == 1
    assert aa[0][0] != bb[0][0]  # two workers


def test_one_worker_runs_them_in_one_process(nbdev_project: Project) -> None:
    nbdev_project.write({f"nbs/{n}.ipynb": _notebook(*_cells(n, 2)) for n in ("aa", "bb")})
    (nbdev_project.root / "pyproject.toml").write_text(
        '[project]\nname = "my-lib"\n\n[tool.nbdev]\n\n'
        '[tool.pytest.ini_options]\nlitloom_session_workers = "1"\nlitloom_test_times = false\n'
    )
    assert nbdev_project.loom("tangle").exit_code == 0
    run = _pytest(nbdev_project.root, "-q")
    assert run.returncode == 0, run.stdout
    pids = {pid for name in ("aa", "bb") for pid, _ in _log(nbdev_project.root, name)}
    assert len(pids) == 1


def test_a_failure_in_a_worker_is_reported_at_its_notebook_line(nbdev_project: Project) -> None:
    failing = _notebook(
        ("code", "#| default_exp core"),
        ("code", "#| export\ndef double(x):\n    return x * 2"),
        ("code", "value = double(2)"),
        ("code", "assert value == 5"),
    )
    nbdev_project.write(
        {
            "nbs/core.ipynb": failing,
            "nbs/other.ipynb": _notebook(
                ("code", "#| default_exp other"),
                ("code", "#| export\nX = 1"),
                ("code", "assert X == 1"),
            ),
        }
    )
    (nbdev_project.root / "pyproject.toml").write_text(
        '[project]\nname = "my-lib"\n\n[tool.nbdev]\n\n'
        '[tool.pytest.ini_options]\nlitloom_session_workers = "2"\nlitloom_test_times = false\n'
    )
    assert nbdev_project.loom("tangle").exit_code == 0
    run = _pytest(nbdev_project.root, "-q", "-rA")
    assert run.returncode == 1
    assert "1 failed, 2 passed" in run.stdout
    where = _line_of(failing, "assert value == 5")
    assert f"nbs/core.ipynb:{where}: AssertionError" in run.stdout
    assert "assert 4 == 5" in run.stdout
    assert run.stdout.index("core.ipynb::") < run.stdout.index("other.ipynb::")  # in order
