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


def outline_keeping_document(rng: random.Random, i: int, count: int) -> str:
    """Document i: its file f{i}.py, referring to any part, and its part n{i}, referring only to
    parts after it (no cycle); prose of random length moves every chunk's lines."""
    def prose() -> str:
        return "".join(f"Some prose, line {n}.\n" for n in range(rng.randint(0, 3)))

    parts = [f"n{j}" for j in range(count)]
    uses = [f"    <<{rng.choice(parts)}>>" for _ in range(rng.randint(0, 2))]
    later = [f"<<n{j}>>" for j in range(i + 1, count) if rng.random() < 0.4]
    return (prose() + chunk(f" {{.python file=f{i}.py}}", "class F:", *uses, f"    F = {rng.randint(0, 9)}")
            + prose() + chunk(f" {{.python #n{i}}}", *later, f"N{i} = {rng.randint(0, 99)}"))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_edits_that_keep_outlines_match_a_fresh_tangle(
    project: Project, tmp_path, seed, monkeypatch
) -> None:
    """Edits that keep every document's keys and claims (new bodies, other references among the
    same keys, lines moved) take the tangle after an edit, which decodes only what it expands;
    its files, source map and `loom where` answers equal a fresh tangle's."""
    from litloom.tangle import again

    taken = []
    real = again.make_again
    monkeypatch.setattr(again, "make_again", lambda *a: taken.append(r := real(*a)) or r)
    rng, count = random.Random(seed), 6
    project.write({f"literate/d{i}.md": outline_keeping_document(rng, i, count) for i in range(count)})
    age(project)
    assert project.loom("tangle").exit_code == 0
    for step in range(12):
        edited = rng.sample(range(count), rng.randint(1, 2))
        project.write({f"literate/d{i}.md": outline_keeping_document(rng, i, count) for i in edited})
        taken.clear()
        run = project.loom("tangle")
        assert run.exit_code == 0, run.stderr
        assert len(taken) == 1 and taken[0] is not None, step  # the tangle after an edit, not all
        reference = Project(tmp_path / f"fresh{step}")
        shutil.copytree(project.root / "literate", reference.root / "literate")
        (reference.root / "pyproject.toml").write_text(PYPROJECT)
        assert reference.loom("tangle").exit_code == 0
        assert project.tangled() == reference.tangled(), step
        source_map = "build/litloom/sourcemap.json"
        assert project.read(source_map) == reference.read(source_map), step
        age(project)


def test_an_edit_too_new_to_record_leaves_the_recorded_documents_as_they_are(
    project: Project,
) -> None:
    """The edited document is too new for the traces to trust: the file of recorded documents
    is not written again; once the edit is old enough, the next tangle records it."""
    two_documents(project)
    age(project)
    project.loom("tangle")  # every document trusted, and recorded
    documents = project.root / "build/litloom/documents.marshal"
    before = documents.stat().st_mtime_ns, documents.read_bytes()
    project.write({"literate/c.md": chunk(" {.python file=c.py}", "C = 4")})
    assert project.loom("tangle").stdout == "wrote tangled_src/c.py\n"
    assert (documents.stat().st_mtime_ns, documents.read_bytes()) == before
    age(project)
    assert project.loom("tangle").exit_code == 0
    assert documents.read_bytes() != before[1] and b"C = 4" in documents.read_bytes()


def test_the_whole_tangle_is_read_back_when_nothing_changed(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a tangle, the tangle in memory (which weave, build and tests use) is the traced one,
    its files read back, without making anything; after an edit it is made again."""
    from litloom.project import open_project
    from litloom.tangle import make as making

    two_documents(project)
    age(project)
    project.loom("tangle")
    made = []
    real = making.make
    monkeypatch.setattr(making, "make", lambda *a, **k: made.append(1) or real(*a, **k))
    tangled = open_project(project.root).tangled
    assert made == [] and tangled.files["a.py"] == project.read("tangled_src/a.py")
    assert open_project(project.root, use_traces=False).tangled.files == tangled.files
    assert made == [1]  # without traces (loom check), it is made
    project.write({"literate/c.md": chunk(" {.python file=c.py}", "C = 5")})
    assert open_project(project.root).tangled.files["c.py"].endswith("C = 5\n")
    assert made == [1, 1]
