"""`loom test --shard I/N`: every item runs exactly once across the shards; sessions stay whole."""

from __future__ import annotations

import re

from conftest import Project, chunk, loom_process

SLOW = "literate/slow.md::slow"


def _suite(project: Project) -> Project:
    files = {
        "literate/slow.md": "# Slow\n\n"
        + chunk(" {.python .test #slow}", "import time", "time.sleep(0.8)"),
        "literate/nb.md": "---\nsession: notebook\n---\n\n# Notebook\n\n"
        + chunk(" {.python .test #first}", "counter = [1]")
        + "\n"
        + chunk(" {.python .test #second}", "counter.append(2)")
        + "\n"
        + chunk(
            " {.python .test #third}", "counter.append(3)", "assert counter == [1, 2, 3], counter"
        ),
    }
    for n in range(8):
        files[f"literate/fast{n}.md"] = f"# Fast {n}\n\n" + chunk(
            f" {{.python .test #fast{n}}}", f"assert {n} + 1 == {n + 1}"
        )
    return project.write(files)


def _ran(output: str) -> list[str]:
    return re.findall(r"^(\S+::\S+) PASSED", output, flags=re.MULTILINE)


def test_every_item_runs_exactly_once_across_the_shards(project: Project) -> None:
    _suite(project)
    full = loom_process("test", "-v", "-p", "no:cacheprovider", cwd=project.root)
    assert full.exit_code == 0, full.stdout
    everything = _ran(full.stdout)
    assert len(everything) == 12 and SLOW in everything
    record = project.read("build/litloom/tests.json")
    parts = []
    for index in (1, 2, 3):
        run = loom_process(
            "test", "--shard", f"{index}/3", "-v", "-p", "no:cacheprovider", cwd=project.root
        )
        assert run.exit_code == 0, run.stdout
        assert "deselected" in run.stdout
        parts.append(_ran(run.stdout))
    assert sorted(sum(parts, [])) == sorted(everything)  # the union, each exactly once
    session = [
        i for i, part in enumerate(parts) if any(t.startswith("literate/nb.md") for t in part)
    ]
    assert len(session) == 1  # the notebook session is whole, in one shard, in order
    assert [t for t in parts[session[0]] if t.startswith("literate/nb.md")] == [
        "literate/nb.md::first",
        "literate/nb.md::second",
        "literate/nb.md::third",
    ]
    assert [SLOW] in parts  # by duration: the slow test has a shard of its own
    assert project.read("build/litloom/tests.json") == record  # the shards split by it alike


def test_without_a_record_the_split_is_by_count(project: Project) -> None:
    _suite(project)
    counts = []
    for index in (1, 2):
        run = loom_process("test", "--shard", f"{index}/2", "-v", cwd=project.root)
        assert run.exit_code == 0, run.stdout
        counts.append(len(_ran(run.stdout)))
    assert not (project.root / "build/litloom/tests.json").exists()
    assert sum(counts) == 12 and max(counts) - min(counts) <= 3  # the session (3) is one unit


def test_a_shard_that_is_not_i_of_n_is_refused_before_the_tangle(project: Project) -> None:
    _suite(project)
    before = project.snapshot()
    for wrong in ("0/3", "4/3", "two", "1/0"):
        run = project.loom("test", "--shard", wrong)
        assert run.exit_code == 2, wrong
        assert "Invalid value for --shard: '" in run.stderr and "is not I/N" in run.stderr
    assert project.snapshot() == before
