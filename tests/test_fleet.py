"""Runbook fleets: `loom run --all --executor dask` on a LocalCluster of 2 workers on 127.0.0.1."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from conftest import Project, Run, chunk, loom_process

distributed = pytest.importorskip("distributed")

WORKER_SECRET = "w0rker-s3cr3t"  # only the workers' environment has it
CLIENT_SECRET = "cl1ent-s3cr3t"  # only the client's: it travels as the task's environment
BOOKS = {
    "literate/deploy.md": "---\nrunbook: true\nsecrets: [token]\n---\n\n# Deploy\n\n"
    + chunk("python", "print('token is', token)"),
    "literate/plain.md": "---\nrunbook: true\n---\n\n# Plain\n\n" + chunk("python", "print(1)"),
    "literate/broken.md": "---\nrunbook: true\n---\n\n# Broken\n\n"
    + chunk("python", "x = 1", "raise ValueError('broken here')"),
    "literate/other.md": "---\nrunbook: true\nsecrets: [other]\n---\n\n# Other\n\n"
    + chunk("python", "print(other)"),
}


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        env={"LOOM_SECRET_TOKEN": WORKER_SECRET},
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def on_the_cluster(project: Project, scheduler: str, env: dict[str, str]) -> Run:
    """`loom run --all` on the cluster, in its own process, with `env` added (the client's)."""
    args = ("run", "--all", "--executor", "dask", "--scheduler", scheduler)
    return loom_process(*args, cwd=project.root, env=env)


def records(project: Project, name: str) -> list[dict]:
    folder = project.root / "build" / "runs" / name
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def test_every_runbook_runs_on_the_cluster_and_its_record_comes_home(
    project: Project, scheduler: str
) -> None:
    project.write(BOOKS)
    run = on_the_cluster(project, scheduler, {"LOOM_SECRET_OTHER": CLIENT_SECRET})
    assert run.exit_code == 1, run.stderr  # broken failed
    status = {
        name: [r["status"] for r in records(project, name)]
        for name in ("deploy", "plain", "broken", "other")
    }
    assert status == {
        "deploy": ["succeeded"],
        "plain": ["succeeded"],
        "broken": ["failed"],
        "other": ["succeeded"],
    }
    for name in ("deploy", "plain", "broken"):
        [record] = records(project, name)
        assert (project.root / "build" / "runs" / name / record["notebook"]).is_file()
    assert records(project, "broken")[0]["error"]["literate"] == "literate/broken.md:9"
    assert "literate/broken.md:9: ValueError: broken here" in run.stderr
    assert "loom run: plain succeeded in" in run.stderr
    shown = (project.root / "build" / "runs" / "deploy").glob("*.ipynb")
    assert "token is ****" in next(shown).read_text()
    everything = b"".join(project.snapshot().values()).decode("utf-8", "replace")
    assert WORKER_SECRET not in everything and CLIENT_SECRET not in everything
    listing = loom_process("runs", cwd=project.root).stdout
    assert "deploy" in listing and "succeeded" in listing


def test_a_secret_of_the_client_travels_as_the_environment_of_its_task(
    project: Project, scheduler: str
) -> None:
    """The client's value wins over the worker's; a secret neither has is a rejected run."""
    project.write(
        {
            "literate/deploy.md": "---\nrunbook: true\nsecrets: [token]\n---\n\n# Deploy\n\n"
            + chunk("python", "print('from the client:', token.startswith('cl1ent'))"),
            "literate/other.md": BOOKS["literate/other.md"],
        }
    )
    run = on_the_cluster(project, scheduler, {"LOOM_SECRET_TOKEN": CLIENT_SECRET})
    assert run.exit_code == 1, run.stderr
    [deploy], [other] = records(project, "deploy"), records(project, "other")
    assert deploy["status"] == "succeeded"
    notebook = project.root / "build" / "runs" / "deploy" / deploy["notebook"]
    assert "from the client: True" in notebook.read_text()
    assert other["status"] == "rejected"
    assert "secret 'other' not given" in other["error"]["value"]
    everything = b"".join(project.snapshot().values()).decode("utf-8", "replace")
    assert CLIENT_SECRET not in everything


def test_the_secrets_are_the_runs_environment_never_its_command_line(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from litloom.runbooks import fleet

    seen: dict = {}

    def run(command, **kwargs):  # type: ignore[no-untyped-def]
        seen.update(command=command, env=kwargs["env"])
        return subprocess.CompletedProcess(command, 0, "", "loom run: deploy succeeded")

    monkeypatch.setattr(fleet.subprocess, "run", run)
    env = fleet.TaskEnv(LOOM_SECRET_TOKEN=CLIENT_SECRET)
    outcome = fleet.run_remote({"x.md": b"# x"}, "deploy", "build/runs/deploy", [], env)
    assert outcome.code == 0
    assert seen["env"]["LOOM_SECRET_TOKEN"] == CLIENT_SECRET
    assert CLIENT_SECRET not in " ".join(seen["command"])
    assert "LOOM_SECRET_TOKEN" not in os.environ  # the worker's own environment is untouched
    assert CLIENT_SECRET not in repr(env) and CLIENT_SECRET not in str([env])
    assert repr(env) == "TaskEnv(LOOM_SECRET_TOKEN)"


def test_the_project_shipped_leaves_hidden_files_build_and_links_home(project: Project) -> None:
    from litloom.project import open_project
    from litloom.runbooks.fleet import shipped

    project.write(
        {
            **BOOKS,
            ".env": "LOOM_SECRET_TOKEN=x",
            ".git/config": "x",
            "build/runs/a/b.json": "{}",
            "data/x.csv": "1",
            "node_modules/m/i.js": "",
        }
    )
    os.symlink("/etc/hostname", project.root / "data" / "link")
    files = shipped(open_project(project.root))
    assert sorted(files) == sorted(["pyproject.toml", "data/x.csv", *BOOKS])


def test_a_stamp_taken_locally_gets_a_counter(project: Project) -> None:
    from litloom.project import open_project
    from litloom.runbooks.fleet import Outcome, bring_home
    from litloom.runbooks.record import RunRecord

    project.write({**BOOKS, "build/runs/plain/20250101T000000Z.json": "{}"})
    record = RunRecord(
        "plain", "literate/plain.md", "succeeded", "2025", {}, notebook="20250101T000000Z.ipynb"
    )
    files = {
        "20250101T000000Z.json": record.to_json(),
        "20250101T000000Z.ipynb": b"{}",
        "../../../escape.json": record.to_json(),
        "other.json": record.to_json(),
    }
    said = "loom run: plain succeeded in 1 s (build/runs/plain/20250101T000000Z.ipynb)"
    line = bring_home(open_project(project.root), Outcome("plain", 0, said, files))
    assert line.endswith("(build/runs/plain/20250101T000000Z-2.ipynb)")
    new = json.loads(project.read("build/runs/plain/20250101T000000Z-2.json"))
    assert new["notebook"] == "20250101T000000Z-2.ipynb"
    assert project.read("build/runs/plain/20250101T000000Z.json") == "{}"
    assert (project.root / "build/runs/plain/20250101T000000Z-2.ipynb").is_file()
    made = sorted(p.name for p in (project.root / "build/runs/plain").iterdir())
    assert made == ["20250101T000000Z-2.ipynb", "20250101T000000Z-2.json", "20250101T000000Z.json"]
    assert not (project.root.parent / "escape.json").exists()


def test_a_task_lost_on_the_cluster_is_a_failure_said_by_name(project: Project) -> None:
    from litloom.project import open_project
    from litloom.runbooks.fleet import _come_home

    class Lost:
        key = "loom-run-nightly-check-0123abcd"

        def result(self) -> None:
            raise RuntimeError("worker died")

    said: list[str] = []
    opened = open_project(project.write(BOOKS).root)
    opened.reporter.summary = said.append  # type: ignore[method-assign]
    assert _come_home(opened, Lost()) == 1
    assert said == ["loom run: nightly-check lost on the cluster: worker died"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all", "--executor", "dask"], "--executor dask needs --scheduler tcp://HOST:8786"),
        (["plain", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"], "give --all"),
        (["--all", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler is for --executor dask"),
    ],
)
def test_executor_usage_errors(project: Project, args: list[str], message: str) -> None:
    project.write(BOOKS)
    before = project.snapshot()
    run = project.loom("run", *args)
    assert run.exit_code == 2 and message in run.stderr
    assert project.snapshot() == before


def test_an_unreachable_scheduler_is_a_user_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litloom.runbooks import fleet

    monkeypatch.setattr(fleet, "WAIT", 1)
    project.write(BOOKS)
    before = project.snapshot()
    run = project.loom("run", "--all", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert run.exit_code == 2
    assert (
        "loom run --scheduler: cannot reach the Dask scheduler at tcp://127.0.0.1:9" in run.stderr
    )
    assert project.snapshot() == before


def test_a_secret_goes_only_with_the_task_of_a_runbook_that_declares_it(
    project: Project, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pickled, the scattered project and every task's key and arguments hold no secret; the
    environment of the task of `other` holds its secret, and no other task's does."""
    import pickle

    sent: list[bytes] = []
    envs: dict[str, bytes] = {}
    submit, scatter = distributed.Client.submit, distributed.Client.scatter

    def submitted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        env = kwargs.pop("env")
        sent.append(pickle.dumps((args[1:], kwargs)))
        envs[args[2]] = pickle.dumps(env)
        return submit(self, *args, env=env, **kwargs)

    def scattered(self, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(pickle.dumps(data))
        return scatter(self, data, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", submitted)
    monkeypatch.setattr(distributed.Client, "scatter", scattered)
    monkeypatch.setenv("LOOM_SECRET_OTHER", CLIENT_SECRET)
    project.write({**BOOKS, ".env": f"LOOM_SECRET_OTHER={CLIENT_SECRET}\n"})
    run = project.loom("run", "--all", "--executor", "dask", "--scheduler", scheduler)
    assert run.exit_code == 1  # broken failed
    assert len(sent) == 1 + len(BOOKS)  # the project once, then one task per runbook
    assert all(CLIENT_SECRET.encode() not in payload for payload in sent)
    assert b"literate/deploy.md" in sent[0] and b".env" not in sent[0]
    assert [name for name, env in envs.items() if CLIENT_SECRET.encode() in env] == ["other"]
