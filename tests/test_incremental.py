"""Incremental tangling: the traces skip work but never change the result."""

from __future__ import annotations

import itertools
import os
import random
import shutil
import time
from pathlib import Path

import pytest

from conftest import PYPROJECT, Project, chunk

OLD = 1_000_000_000  # an mtime long ago: trusted
_ticks = itertools.count()


def age(project: Project) -> None:
    """Move the mtime of files written just now far into the past, so the traces trust them.

    Each gets a time of its own, as a real edit would: stat-based tools (make, git, litloom)
    cannot see an edit that keeps both the size and the modification time.
    """
    for path in (project.root / "literate").rglob("*.md"):
        if path.stat().st_mtime_ns > OLD * 1000:
            tick = OLD + next(_ticks) * 1000
            os.utime(path, ns=(tick, tick))


def fresh_tangle(project: Project, tmp: Path) -> dict[str, str]:
    """What a tangle without any traces makes of the same sources."""
    copy = Project(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(project.root / "literate", tmp / "literate")
    (tmp / "pyproject.toml").write_text(PYPROJECT)
    assert copy.loom("tangle").exit_code == 0
    return copy.tangled()


def two_documents(project: Project) -> None:
    project.write({
        "literate/a.md": chunk(" {.python file=a.py}", "<<shared>>", "A = 1"),
        "literate/b.md": chunk(" {.python file=b.py}", "B = 2")
        + chunk(" {.python #shared}", "SHARED = 0"),
        "literate/c.md": chunk(" {.python file=c.py}", "C = 3"),
    })
    age(project)
    assert project.loom("tangle").exit_code == 0


def test_noop_rerun_reads_nothing_and_writes_nothing(project: Project) -> None:
    two_documents(project)
    before = project.snapshot()
    (project.root / "literate/a.md").chmod(0)  # would fail if it were read (not as root)
    run = project.loom("tangle")
    (project.root / "literate/a.md").chmod(0o644)
    assert run.exit_code == 0 and run.stdout == ""
    assert "0 written, 0 deleted, 3 unchanged" in run.stderr
    assert project.snapshot() == before


def test_edit_rewrites_only_the_files_that_use_the_chunk(project: Project, tmp_path) -> None:
    two_documents(project)
    project.write({"literate/b.md": chunk(" {.python file=b.py}", "B = 2")
                   + chunk(" {.python #shared}", "SHARED = 1")})
    run = project.loom("tangle")
    assert run.stdout == "wrote tangled_src/a.py\n"
    assert project.tangled() == fresh_tangle(project, tmp_path / "fresh")


def test_removing_a_chunk_used_elsewhere_is_an_error(project: Project) -> None:
    two_documents(project)
    project.write({"literate/b.md": chunk(" {.python file=b.py}", "B = 2")})
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "literate/a.md:2: undefined reference <<shared>>" in run.stderr


def test_a_deleted_output_is_written_again(project: Project) -> None:
    two_documents(project)
    (project.root / "tangled_src/c.py").unlink()
    run = project.loom("tangle")
    assert run.stdout == "wrote tangled_src/c.py\n"


def test_racy_same_size_edit_is_seen(project: Project) -> None:
    """A document saved twice within one timestamp tick, at the same size, is read again."""
    project.write({"literate/a.md": chunk(" {.python file=a.py}", "X = 1")})
    now = time.time_ns()
    os.utime(project.root / "literate/a.md", ns=(now, now))
    project.loom("tangle")
    project.write({"literate/a.md": chunk(" {.python file=a.py}", "X = 2")})
    os.utime(project.root / "literate/a.md", ns=(now, now))
    project.loom("tangle")
    assert project.tangled()["a.py"].endswith("X = 2\n")


def test_damaged_traces_are_ignored(project: Project) -> None:
    two_documents(project)
    for name in ("state.marshal", "documents.marshal"):
        (project.root / "build/litloom" / name).write_bytes(b"\x00garbage")
    project.write({"literate/c.md": chunk(" {.python file=c.py}", "C = 4")})
    age(project)
    run = project.loom("tangle")
    assert run.exit_code == 0 and run.stdout == "wrote tangled_src/c.py\n"


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_random_edit_sequences_match_a_fresh_tangle(project: Project, tmp_path, seed) -> None:
    """After each of many random edits, the incremental result equals a tangle from scratch."""
    rng = random.Random(seed)
    names = ["n0", "n1", "n2", "n3"]

    def document(i: int) -> str:
        body = chunk(f" {{.python file=f{i}.py}}", *(f"    <<{rng.choice(names)}>>"
                                                    for _ in range(rng.randint(0, 2))), f"F{i} = 0")
        for name in rng.sample(names, rng.randint(0, 2)):
            body += chunk(f" {{.python #{name}}}", f"{name.upper()} = {rng.randint(0, 9)}")
        return body

    project.write({f"literate/d{i}.md": document(i) for i in range(4)})
    for step in range(25):
        victim = rng.randrange(5)
        if victim == 4 and len(list((project.root / "literate").glob("*.md"))) > 1:
            rng.choice(sorted((project.root / "literate").glob("*.md"))).unlink()
        else:
            project.write({f"literate/d{victim}.md": document(victim)})
        if rng.random() < 0.7:
            age(project)
        run = project.loom("tangle")
        reference = Project(tmp_path / f"fresh{step}")
        shutil.copytree(project.root / "literate", reference.root / "literate")
        (reference.root / "pyproject.toml").write_text(PYPROJECT)
        expected = reference.loom("tangle")
        assert run.exit_code == expected.exit_code, (step, run.stderr, expected.stderr)
        if run.exit_code == 0:
            assert project.tangled() == reference.tangled(), step
