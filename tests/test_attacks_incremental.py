"""Attacks, area "incremental": an incremental tangle must end where a fresh one ends.

After every edit, the tangle that trusts its traces (and expands only what changed) must give
the outcome, the problems and the files that a tangle from scratch of the same sources gives.
The edits here go after what the expander rewrite (issue 11, item 7) could break: deep
chains, cycles entered from any key, expansions that pass the limits, and settings that change
what a document tangles to. Random sequences are seeded and bounded; more run under `slow`.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
from pathlib import Path

import pytest

from conftest import PYPROJECT
from litloom import pipeline
from litloom.errors import UserError
from litloom.project import open_project
from litloom.store.writer import Transaction
from litloom.tangle import make as make_module

_ticks = itertools.count(1)


class Sources:
    """A project whose documents are written as an editor would, each with an mtime of its
    own in the past, so that the next tangle may trust what its traces say of them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "literate").mkdir(parents=True, exist_ok=True)
        self.settings("")

    def settings(self, extra: str) -> None:
        (self.root / "pyproject.toml").write_text(PYPROJECT + extra)

    def write(self, documents: dict[str, str | None]) -> None:
        for name, text in documents.items():
            path = self.root / "literate" / name
            if text is None:
                path.unlink(missing_ok=True)
                continue
            path.write_text(text)
            tick = 1_000_000_000 + next(_ticks)  # long ago, and never twice the same
            os.utime(path, ns=(tick * 1000, tick * 1000))

    def tangle(self) -> tuple[str, list[str], dict[str, str]]:
        return tangle_at(self.root)

    def fresh(self, where: Path) -> tuple[str, list[str], dict[str, str]]:
        """What a tangle without traces makes of the same sources."""
        shutil.rmtree(where, ignore_errors=True)
        shutil.copytree(self.root / "literate", where / "literate")
        shutil.copy(self.root / "pyproject.toml", where / "pyproject.toml")
        return tangle_at(where)


def tangle_at(root: Path) -> tuple[str, list[str], dict[str, str]]:
    """(outcome, the problems, the tangled files) of a tangle in `root`."""
    try:
        writes = Transaction()
        pipeline.tangle(open_project(root), writes)
        writes.commit()
        outcome, problems = "ok", []
    except UserError as error:
        outcome, problems = "error", [str(d) for d in error.diagnostics]
    folder = root / "tangled_src"
    files = {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*")
             if p.is_file() and p.name != ".litloom-manifest"} if folder.is_dir() else {}
    return outcome, problems, files


def same_as_fresh(sources: Sources, where: Path) -> tuple[str, list[str], dict[str, str]]:
    """Tangle incrementally, then from scratch: the same outcome, problems and files."""
    incremental = sources.tangle()
    fresh = sources.fresh(where)
    assert incremental[:2] == fresh[:2]
    if incremental[0] == "ok":
        assert incremental[2] == fresh[2]
    return incremental


def fence(info: str, *lines: str) -> str:
    return "\n".join([f"```python {info}", *lines, "```"]) + "\n\n"


# --------------------------------------------------------------------------------------------
# Edits that the expander rewrite must keep incremental


def test_a_cycle_made_by_an_edit_reads_as_in_a_fresh_tangle(tmp_path: Path) -> None:
    """The incremental tangle starts from the edited document's key (b), a fresh one from the
    first key (a): both must name the same chain, at the same reference."""
    sources = Sources(tmp_path / "p")
    sources.write({"a.md": fence("{file=a.py}", "<<a>>") + fence("{#a}", "<<b>>"),
                   "b.md": fence("{#b}", "B = 1")})
    assert same_as_fresh(sources, tmp_path / "f0")[0] == "ok"
    sources.write({"b.md": fence("{#b}", "<<a>>")})
    outcome, problems, _ = same_as_fresh(sources, tmp_path / "f1")
    assert (outcome, problems) == ("error", ["literate/b.md:2: cyclic reference: a -> b -> a"])


def test_an_explosion_made_and_undone_by_edits(tmp_path: Path) -> None:
    sources = Sources(tmp_path / "p")
    sources.settings("max_expansion_lines = 50\n")
    chunks = "".join(fence(f"{{#c{i}}}", f"<<c{i + 1}>>", f"<<c{i + 1}>>") for i in range(8))
    sources.write({"a.md": fence("{file=a.py}", "<<c0>>") + chunks,
                   "b.md": fence("{#c8}", "x = 1")})
    assert same_as_fresh(sources, tmp_path / "f0")[0] == "error"  # 2^8 = 256 lines > 50
    sources.write({"b.md": fence("{#c8}")})  # no lines at all: 0 lines
    assert same_as_fresh(sources, tmp_path / "f1")[0] == "ok"
    sources.write({"b.md": fence("{#c8}", "y = 2")})
    outcome, problems, _ = same_as_fresh(sources, tmp_path / "f2")
    assert outcome == "error" and "passes 50 lines here" in problems[0]


def test_the_bottom_of_a_deep_chain_edited(tmp_path: Path) -> None:
    sources = Sources(tmp_path / "p")
    chain = "".join(fence(f"{{#c{i}}}", f"    <<c{i + 1}>>") for i in range(3000))
    sources.write({"a.md": fence("{file=a.py}", "<<c0>>") + chain,
                   "b.md": fence("{#c3000}", "x = 1")})
    assert same_as_fresh(sources, tmp_path / "f0")[0] == "ok"
    sources.write({"b.md": fence("{#c3000}", "x = 2")})
    _, _, files = same_as_fresh(sources, tmp_path / "f1")
    assert files["a.py"].endswith(" " * 4 * 3000 + "x = 2\n")


@pytest.mark.parametrize("setting", ["indent_blank_lines = true\n", "max_expansion_lines = 2\n"])
def test_a_setting_that_changes_the_tangle_is_seen(tmp_path: Path, setting: str) -> None:
    """The traces were not keyed by these settings: a tangle after changing them reused every
    target as it was ("0 written"), and `loom check` failed until a document changed."""
    sources = Sources(tmp_path / "p")
    sources.write({"a.md": fence("{file=a.py}", "def f():", "    <<body>>")
                   + fence("{#body}", "x = 1", "", "y = 2")})
    assert same_as_fresh(sources, tmp_path / "f0")[0] == "ok"
    sources.settings(setting)
    same_as_fresh(sources, tmp_path / "f1")


# --------------------------------------------------------------------------------------------
# Random edit sequences

NAMES = ["n0", "n1", "n2", "n3", "n4"]


def random_document(rng: random.Random, number: int) -> str:
    """A root for f<number>.py and some named chunks. A chunk mostly uses names after its own
    (so that most projects tangle), sometimes any name (a cycle) or one that is not."""
    def lines(after: int) -> list[str]:
        found = []
        for _ in range(rng.randint(0, 3)):
            roll = rng.random()
            if roll < 0.5 and after < len(NAMES):
                name = rng.choice(NAMES[after:])
            elif roll < 0.55:
                name = rng.choice([*NAMES, "missing"])
            else:
                found.append(rng.choice(["x = 1", "", "def f():", f"N{number} = {rng.random()}"]))
                continue
            found.append(f"{rng.choice(['', '    ', chr(9)])}<<{name}>>")
        return found

    text = fence(f"{{file=f{number}.py}}", *lines(0)) if rng.random() < 0.8 else ""
    for name in rng.sample(NAMES, rng.randint(0, 3)):
        text += fence(f"{{#{name}}}", *lines(NAMES.index(name) + 1))
    if rng.random() < 0.1:  # a chunk using a later one twice: growth, against a small limit
        first = rng.randrange(len(NAMES) - 1)
        later = rng.choice(NAMES[first + 1:])
        text += fence(f"{{#{NAMES[first]}}}", f"<<{later}>>", f"<<{later}>>")
    return text


def random_sequence(tmp_path: Path, seed: int, steps: int) -> dict[str, int]:
    rng = random.Random(seed)
    sources = Sources(tmp_path / "p")
    library = "".join(fence(f"{{#{name}}}", f"{name.upper()} = 0") for name in NAMES)
    sources.write({"lib.md": library, **{f"d{i}.md": random_document(rng, i) for i in range(4)}})
    seen = {"ok": 0, "error": 0}
    for step in range(steps):
        roll = rng.random()
        if roll < 0.1:
            sources.settings(rng.choice(["", "max_expansion_lines = 6\n",
                                         "indent_blank_lines = true\n"]))
        elif roll < 0.2:
            sources.write({f"d{rng.randrange(4)}.md": None})
        else:
            number = rng.randrange(4)
            sources.write({f"d{number}.md": random_document(rng, number)})
        outcome, _, _ = same_as_fresh(sources, tmp_path / f"fresh{step}")
        seen[outcome] += 1
    return seen


@pytest.mark.parametrize("seed", [0, 3, 4, 5, 100, 102])  # each with both outcomes, and reuse
def test_random_edit_sequences_end_where_a_fresh_tangle_ends(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    reused = []
    real = make_module._reuse
    monkeypatch.setattr(make_module, "_reuse", lambda *a: reused.append(a[2]) or real(*a))
    seen = random_sequence(tmp_path, seed, 20)
    assert seen["ok"] and seen["error"] and reused  # both outcomes, and traces trusted


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 140))
def test_many_random_edit_sequences(tmp_path: Path, seed: int) -> None:
    random_sequence(tmp_path, seed, 25)
