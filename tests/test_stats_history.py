"""`loom stats --history N` (issue 15) on a git repository each test builds, and the token cache
that makes `loom stats` fast."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_diff import GIT
from test_diff import Repo as DiffRepo

from conftest import PYPROJECT, Project, chunk
from litloom.project import open_project
from litloom.regen.count import count_tokens
from litloom.stats.growth import growth, series
from litloom.stats.history import history

APP = "# App\n\nThe app.\n\n" + chunk(" {.python file=app/main.py}", "X = 1")
TOOL = "# Tool\n\n" + chunk(" {.python file=tool.py}", "Y = 2")
MORE = "\nMore prose about the app, which grows.\n" * 20


class Repo(DiffRepo):
    """A project in a git repository of its own (loom diff's tests' helper), committing by message."""

    def commit(self, files: dict[str, str], message: str, remove: tuple[str, ...] = ()) -> str:
        return super().commit(files, remove, message)

    def state(self) -> tuple[dict[str, bytes], int, str]:
        """Every file but build/'s, the index's time, and HEAD: what --history must not change."""
        files = {p: d for p, d in self.snapshot().items() if not p.startswith("build/")}
        index = self.root / ".git" / "index"
        return files, index.stat().st_mtime_ns, self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    for key, value in GIT.items():
        monkeypatch.setenv(key, value)
    repo = Repo(tmp_path / "proj")
    repo.root.mkdir()
    repo.git("init", "-q", "-b", "main")
    return repo


def grown(repo: Repo) -> list[str]:
    """Four commits: app, then a tool, then the app grows, then a removed chapter."""
    first = repo.commit(
        {"pyproject.toml": PYPROJECT, ".gitignore": "build/\n", "literate/app.md": APP}, "app"
    )
    second = repo.commit(
        {"literate/tool.md": TOOL, "literate/old.md": "# Old\n\nGone soon.\n"}, "tool"
    )
    third = repo.commit(
        {"literate/app.md": APP + MORE, "notes.txt": "not a chapter\n"}, "grow the app"
    )
    fourth = repo.commit({}, "drop old", remove=("literate/old.md",))
    return [first, second, third, fourth]


def history_json(repo: Repo, *args: str) -> dict:
    before = repo.state()
    run = repo.loom("stats", "--history", *args, "--json")
    assert run.exit_code == 0, run.stderr
    assert repo.state() == before, "--history changed the work tree, the index or HEAD"
    data = json.loads(run.stdout)
    assert data["version"] == 1
    return data["history"]


def test_history_counts_each_cells_chapters_at_each_commit(repo: Repo) -> None:
    commits = grown(repo)
    data = history_json(repo, "10")
    assert (data["asked"], data["commits"]) == (10, 4)
    points = data["points"]
    assert [p["commit"] for p in points] == commits  # oldest first
    assert [p["subject"] for p in points] == ["app", "tool", "grow the app", "drop old"]
    size = {"bytes": len(APP.encode()), "tokens": count_tokens(APP)}
    assert points[0]["cells"] == {"app": size}
    grown_app, old = APP + MORE, "# Old\n\nGone soon.\n"
    assert points[3]["cells"]["app"] == {
        "bytes": len(grown_app.encode()),
        "tokens": count_tokens(grown_app),
    }
    assert points[1]["cells"]["tool"]["tokens"] == count_tokens(TOOL)
    # old.md is gone today: it goes to the cell most of today's chapters in its folder are in
    # (app.md and tool.md tie, the first in path order wins): app
    assert points[1]["cells"]["app"]["tokens"] == count_tokens(APP) + count_tokens(old)
    assert "notes.txt" not in json.dumps(points)  # not under the source folder
    assert points[3]["total"] == {
        "bytes": len(grown_app.encode()) + len(TOOL.encode()),
        "tokens": count_tokens(grown_app) + count_tokens(TOOL),
    }
    [app, tool] = data["growth"]
    assert app["cell"] == "app" and app["tokens"] == count_tokens(grown_app) - count_tokens(APP)
    assert app["most"] == {
        "commit": commits[2],
        "tokens": count_tokens(grown_app) - count_tokens(APP),
    }
    assert tool["first"] == {"bytes": 0, "tokens": 0} and tool["percent"] is None


def test_the_last_n_commits_follow_first_parents(repo: Repo) -> None:
    commits = grown(repo)
    repo.git("checkout", "-q", "-b", "side", commits[1])
    side = repo.commit({"literate/side.md": "# Side\n\nA side branch.\n"}, "side work")
    repo.git("checkout", "-q", "main")
    repo.git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge side",
        "side",
    )
    points = history_json(repo, "3")["points"]
    assert [p["subject"] for p in points] == ["grow the app", "drop old", "merge side"]
    assert side not in [p["commit"] for p in points]


def test_configured_cells_apply_to_old_commits(repo: Repo) -> None:
    grown(repo)
    cells = '\n[tool.litloom.cells]\nlegacy = { chapters = ["literate/old.md"] }\n'
    repo.commit({"pyproject.toml": PYPROJECT + cells}, "cells")
    points = history_json(repo, "5")["points"]
    assert points[1]["cells"]["legacy"]["tokens"] == count_tokens("# Old\n\nGone soon.\n")
    assert "legacy" not in points[0]["cells"]


def test_text_shows_a_row_per_commit_and_the_growth(repo: Repo) -> None:
    commits = grown(repo)
    run = repo.loom("stats", "--history", "2")
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split()[:4] == ["commit", "date", "app", "tool"]
    assert lines[1].startswith(commits[2][:7]) and lines[1].endswith("grow the app")
    assert lines[2].startswith(commits[3][:7]) and "drop old" in lines[2]
    gone = count_tokens("# Old\n\nGone soon.\n")
    assert lines[3].startswith("cell app: ") and f"tokens (-{gone}, " in lines[3]
    assert "only" not in run.stdout
    run = repo.loom("stats", "--history", "9")
    assert run.stdout.rstrip().endswith("only 4 commits in the history of HEAD, of the 9 asked")


def test_blob_counts_are_cached_and_a_second_run_reads_no_blob(repo: Repo, monkeypatch) -> None:
    grown(repo)
    first = history_json(repo, "4")
    cache = repo.root / "build" / "litloom" / "tokens.marshal"
    assert cache.is_file()
    import litloom.diff.git as git

    def no_blobs(self, oids):
        raise AssertionError(f"read blobs {list(oids)} though their counts were cached")

    monkeypatch.setattr(git.Repository, "blobs", no_blobs)
    assert history_json(repo, "4") == first


def test_plain_function_gives_points_and_a_series(repo: Repo) -> None:
    commits = grown(repo)
    points = history(open_project(repo.root), 2)
    assert [p.commit for p in points] == commits[2:]
    assert points[0].date[:4].isdigit() and points[0].subject == "grow the app"
    assert points[1].cells["tool"] == (len(TOOL.encode()), count_tokens(TOOL))
    assert series(points)[1] == (commits[3][:7], {c: t for c, (_, t) in points[1].cells.items()})
    assert [g.cell for g in growth(points)] == ["app", "tool"]


def test_a_project_in_a_folder_of_the_repository(repo: Repo) -> None:
    repo.commit({"README": "top\n"}, "top")
    repo.commit(
        {"sub/pyproject.toml": PYPROJECT, "sub/literate/app.md": APP, "literate/x.md": TOOL}, "sub"
    )
    sub = Repo(repo.root / "sub")
    run = sub.loom("stats", "--history", "5", "--json")
    assert run.exit_code == 0, run.stderr
    points = json.loads(run.stdout)["history"]["points"]
    assert [p["cells"] for p in points] == [
        {},
        {"app": {"bytes": len(APP.encode()), "tokens": count_tokens(APP)}},
    ]


def test_outside_git_and_before_any_commit_are_located_errors(tmp_path: Path, repo: Repo) -> None:
    plain = Project(tmp_path / "plain").write({"pyproject.toml": PYPROJECT, "literate/app.md": APP})
    before = plain.snapshot()
    run = plain.loom("stats", "--history", "3")
    assert run.exit_code == 2
    assert f"{plain.root}: not in a git repository: loom stats --history" in run.stderr
    assert plain.snapshot() == before
    repo.write({"pyproject.toml": PYPROJECT, "literate/app.md": APP})
    run = repo.loom("stats", "--history", "3")
    assert run.exit_code == 2 and "no commit yet: loom stats --history" in run.stderr


def test_history_refuses_check_and_github_and_a_count_below_one(repo: Repo) -> None:
    grown(repo)
    for args in (["--check"], ["--format", "github"]):
        run = repo.loom("stats", "--history", "3", *args)
        assert run.exit_code == 2
        assert "--history cannot be combined with --check or --format github" in run.stderr
    run = repo.loom("stats", "--history", "0")
    assert run.exit_code == 2 and "--history" in run.stderr


def test_stats_counts_each_text_once_across_runs(project: Project, monkeypatch) -> None:
    import litloom.stats.counts as counts

    counted: list[str] = []

    def counting(text: str) -> int:
        counted.append(text)
        return count_tokens(text)

    monkeypatch.setattr(counts, "count_tokens", counting)
    project.write({"literate/app.md": APP, "literate/tool.md": TOOL})
    first = project.loom("stats", "--json")
    assert first.exit_code == 0, first.stderr
    assert counted and (project.root / "build" / "litloom" / "tokens.marshal").is_file()
    counted.clear()
    again = project.loom("stats", "--json")
    assert again.exit_code == 0 and again.stdout == first.stdout
    assert counted == []
    project.write({"literate/tool.md": TOOL + "\nA new line.\n"})
    assert project.loom("stats", "--json").exit_code == 0
    assert counted == ["# Tool\n\n\nA new line.\n"]  # only the prose that changed


def test_a_cache_that_cannot_be_written_is_no_error(project: Project) -> None:
    project.write({"literate/app.md": APP, "build/litloom": "a file where a folder should be"})
    run = project.loom("stats")
    assert run.exit_code == 0, run.stderr
    assert "cell app" in run.stdout
