"""The regeneration lock (issue 14): its format, located errors, a month's spending, and merges."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from litloom.regen.lock import (
    Record,
    dump_lock,
    month_spend,
    read_lock,
    supersede,
    with_spending,
)


def record(chunk: str, time: str = "2025-06-01T12:00:00Z", usd: float = 0.25, **more) -> Record:
    fields = dict(
        chunk=chunk,
        document="literate/g.md",
        spec_hash="sha256:" + "a" * 64,
        context_hashes=("sha256:" + "b" * 64,),
        template_hash="sha256:" + "c" * 64,
        model="openai:gpt-4o-2024-08-06",
        model_version="gpt-4o-2024-08-06",
        parameters=(("max_output_tokens", "4000"), ("temperature", "0")),
        tokens_in=1812,
        tokens_out=240,
        usd=usd,
        gates=(("loom check", 0), ("loom test", 0)),
        diff_summary=(("changed", 1),),
        output_hash="sha256:" + "d" * 64,
        time=time,
        line_hashes=("1a2b3c4d", "5e6f7a8b"),
    )
    fields.update(more)
    return Record(**fields)


def write_lock(root: Path, text: str) -> None:
    (root / "literate").mkdir(parents=True, exist_ok=True)
    (root / "literate" / "regen.lock").write_text(text, encoding="utf-8")


def test_the_lock_reads_back_what_it_wrote_sorted_by_chunk(tmp_path: Path) -> None:
    records = {
        "zeta": record("zeta", spent=(("2025-05-30T09:00:00Z", 0.5),)),
        "alpha": record("alpha", document='literate/"odd" é.md', patch_hash="sha256:" + "e" * 64),
    }
    text = dump_lock(records)
    assert text.index('chunk = "alpha"') < text.index('chunk = "zeta"')
    assert text == dump_lock(dict(reversed(records.items())))  # the same text, whatever the order
    write_lock(tmp_path, text)
    read, problems = read_lock(tmp_path)
    assert problems == [] and read == records


def test_a_missing_lock_has_no_records(tmp_path: Path) -> None:
    assert read_lock(tmp_path) == ({}, [])


def test_a_month_spending_counts_superseded_and_rejected_runs() -> None:
    first = record("a", time="2025-05-31T23:59:59Z", usd=1.0)
    second = supersede(first, record("a", time="2025-06-01T00:00:01Z", usd=2.0))
    third = with_spending(second, "2025-06-03T10:00:00Z", 0.5)  # rejected by its gate
    other = record("b", time="2025-06-15T08:00:00Z", usd=0.25)
    records = {"a": third, "b": other}
    assert month_spend(records, "2025-06") == pytest.approx(2.75)
    assert month_spend(records, "2025-05") == pytest.approx(1.0)
    assert month_spend(records.values(), "2025-07") == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version = 1\n[[record]\n", "literate/regen.lock:2: not TOML"),
        ("version = 2\n", "literate/regen.lock:1: 'version' must be 1, not 2"),
        ("version = 1\ntotal = 3\n", "literate/regen.lock:2: unknown key 'total'"),
        (
            'version = 1\n\n[[record]]\nchunk = "a"\n',
            "literate/regen.lock:3: record 'a': 'document' is missing",
        ),
    ],
)
def test_a_malformed_lock_is_located(tmp_path: Path, text: str, expected: str) -> None:
    write_lock(tmp_path, text)
    records, problems = read_lock(tmp_path)
    assert records == {}
    assert str(problems[0]).startswith(expected), problems


def test_a_wrong_field_and_a_duplicate_are_at_their_records(tmp_path: Path) -> None:
    good = dump_lock({"a": record("a"), "b": record("b")})
    bad = good.replace("tokens_in = 1812", 'tokens_in = "many"', 1)
    doubled = good + "\n" + good.split("\n\n", 2)[1]  # record "a" once more, at the end
    write_lock(tmp_path, bad)
    _, problems = read_lock(tmp_path)
    assert [str(p) for p in problems] == [
        f"literate/regen.lock:{bad.count(chr(10), 0, bad.index('tokens_in')) + 1}: "
        "record 'a': 'tokens_in' must be int, not 'many'"
    ]
    write_lock(tmp_path, doubled)
    records, problems = read_lock(tmp_path)
    line = doubled.count("\n", 0, doubled.rindex("[[record]]")) + 1
    assert [str(p) for p in problems] == [
        f"literate/regen.lock:{line}: a second record of chunk 'a' (a merge kept both): keep one"
    ]


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_two_branches_regenerating_different_chunks_merge_cleanly(tmp_path: Path) -> None:
    names = ["alpha", "beta", "delta", "gamma"]
    base = {name: record(name) for name in names}
    write_lock(tmp_path, dump_lock(base))
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")

    def regenerate(branch: str, changes: dict[str, Record]) -> None:
        git(tmp_path, "checkout", "-q", "-b", branch, "main")
        records, _ = read_lock(tmp_path)
        for name, new in changes.items():
            records[name] = supersede(records.get(name), new)
        write_lock(tmp_path, dump_lock(records))
        git(tmp_path, "commit", "-qam", branch)

    later = dict(time="2025-06-20T10:00:00Z", usd=0.5, output_hash="sha256:" + "f" * 64)
    regenerate("one", {"alpha": record("alpha", **later), "delta": record("delta", **later)})
    regenerate("two", {"beta": record("beta", **later), "omega": record("omega", **later)})
    git(tmp_path, "checkout", "-q", "one")
    git(tmp_path, "merge", "-q", "--no-edit", "two")  # git's default merge: no conflict

    merged, problems = read_lock(tmp_path)
    assert problems == []
    assert sorted(merged) == ["alpha", "beta", "delta", "gamma", "omega"]
    assert {n for n, r in merged.items() if r.output_hash.endswith("f" * 64)} == {
        "alpha",
        "beta",
        "delta",
        "omega",
    }
    assert merged["gamma"] == base["gamma"]
    assert month_spend(merged, "2025-06") == pytest.approx(4 * 0.5 + 4 * 0.25)
    assert (tmp_path / "literate" / "regen.lock").read_text() == dump_lock(merged)


def test_changing_a_record_changes_only_its_block() -> None:
    records = {name: record(name) for name in ("a", "b", "c")}
    before = dump_lock(records).splitlines()
    after = dump_lock({**records, "b": replace(records["b"], usd=9.0)}).splitlines()
    changed = [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y]
    assert len(changed) == 1 and after[changed[0]] == "usd = 9.000000"
