"""Whole-process wall time of `loom diff A B`, next to `git diff --stat A B` on the same revisions.

Usage: PYTHONPATH=tangled_src .venv/bin/python benchmarks/bench_diff.py [--runs N] [--docs 1000]

Three pairs of revisions: two adjacent commits of litloom's own repository (HEAD~1, HEAD),
twenty commits of it (HEAD~20, HEAD), and two commits of a generated corpus of --docs
documents (benchmarks/corpus.py) in a temporary git repository, the second changing five of
them. Each figure is the median of --runs runs after one untimed warm-up, of a whole process
(`python -m litloom diff A B` with this checkout's package, and `git diff --stat A B`). The
table goes to standard output and into benchmarks/results.md, between the markers of its
section (which it replaces, or adds at the end).

See benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import edit_document, generate
from sections import put_section

REPO = Path(__file__).resolve().parent.parent
RESULTS_MD = REPO / "benchmarks" / "results.md"
PYCACHE = REPO / "build" / "bench" / "pycache"
START, END = "<!-- bench_diff -->", "<!-- /bench_diff -->"
TARGETS = {"adjacent": 1.0, "twenty": 2.0, "corpus": 3.0}  # seconds, whole process
GIT = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


class BenchError(RuntimeError):
    """A command failed."""


def child_env() -> dict[str, str]:
    """This checkout's package first on the path; bytecode in a private cache the warm-up fills."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tangled_src"), env.get("PYTHONPATH", "")])
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall time, CPU time: user and system) of one whole process; BenchError if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise BenchError(
            f"`{' '.join(command)}` in {cwd} exited {done.returncode}:\n"
            + (done.stderr or done.stdout)[-2000:]
        )
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


def median(runs: int, command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """The medians of wall and CPU time over `runs` timed runs, after one untimed warm-up."""
    timed(command, cwd, env)
    times = [timed(command, cwd, env) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, env={**os.environ, **GIT}
    )
    if done.returncode != 0:
        raise BenchError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def summary(cwd: Path, old: str, new: str, env: dict[str, str]) -> str:
    """`loom diff`'s last line: what it found."""
    done = subprocess.run(
        [sys.executable, "-m", "litloom", "diff", old, new],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "?"


def files_changed(cwd: Path, old: str, new: str) -> str:
    stat = git(cwd, "diff", "--shortstat", old, new).strip()
    return stat.split(",")[0] if stat else "0 files changed"


# --- the generated corpus ----------------------------------------------------------------


def second_revision(literate: Path, docs: int) -> None:
    """Change five of the documents (a tenth, three tenths ... of the way in), each in another
    way: a constant (code only), prose (rationale only), a signature, a new definition, a
    method removed."""
    a, b, c, d, e = (max(1, docs * tenth // 10) for tenth in (1, 3, 5, 7, 9))

    def edit(k: int, old: str, new: str) -> None:
        path = literate / f"doc_{k:04d}.md"
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise BenchError(f"{path}: no {old!r} to change")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    edit_document(literate / f"doc_{a:04d}.md", 12345)
    text = (literate / f"doc_{b:04d}.md").read_text(encoding="utf-8")
    prose = text.split("\n\n", 2)[1].split("\n")[0]
    edit(b, prose, prose + " The rationale changed here.")
    signature = re.search(
        rf"def (\w+_{c:04d})\(value\):", (literate / f"doc_{c:04d}.md").read_text()
    )
    edit(c, signature[0], f"def {signature[1]}(value, factor=1):")
    edit(
        d,
        f"def valid_{d:04d}(value):",
        f"def extra_{d:04d}():\n    return 7\n\n\ndef valid_{d:04d}(value):",
    )
    edit(e, f"    <<doc{e:04d}-part9>>\n", "")


def corpus_repository(folder: Path, docs: int) -> tuple[str, str]:
    """A git repository of the corpus in `folder`: (the first commit, the second)."""
    generate(docs, folder)
    (folder / ".gitignore").write_text("build/\nout/\n", encoding="utf-8")
    git(folder, "init", "-q", "-b", "main")
    commits = []
    for message in ("the corpus", "five documents changed"):
        if commits:
            second_revision(folder / "literate", docs)
        git(folder, "add", "-A")
        git(folder, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", message)
        commits.append(git(folder, "rev-parse", "--short", "HEAD").strip())
    return commits[0], commits[1]


# --- the benchmark -------------------------------------------------------------------------


def measure(name: str, cwd: Path, old: str, new: str, runs: int) -> dict[str, object]:
    env = child_env()
    print(f"  {name}: {old}..{new}", file=sys.stderr)
    loom = median(runs, [sys.executable, "-m", "litloom", "diff", old, new], cwd, env)
    stat = median(runs, ["git", "diff", "--stat", old, new], cwd, {**os.environ, **GIT})
    return {
        "name": name,
        "old": old,
        "new": new,
        "loom": loom,
        "git": stat,
        "files": files_changed(cwd, old, new),
        "found": summary(cwd, old, new, env),
    }


def benchmark(runs: int, docs: int) -> list[dict[str, object]]:
    PYCACHE.mkdir(parents=True, exist_ok=True)
    rows = [
        measure("adjacent", REPO, "HEAD~1", "HEAD", runs),
        measure("twenty", REPO, "HEAD~20", "HEAD", runs),
    ]
    with tempfile.TemporaryDirectory(prefix="loom-bench-diff-") as folder:
        old, new = corpus_repository(Path(folder), docs)
        rows.append(measure("corpus", Path(folder), old, new, runs))
        rows[-1]["old"], rows[-1]["new"] = "A", "B"
    LABELS["corpus"] = f"generated corpus of {docs:,} documents, five changed"
    return rows


LABELS = {
    "adjacent": "litloom, two adjacent commits",
    "twenty": "litloom, 20 commits",
    "corpus": "generated corpus, five documents changed",
}


def table(rows: list[dict[str, object]], runs: int, load: tuple[float, float]) -> str:
    commit = git(REPO, "rev-parse", "--short", "HEAD").strip()
    lines = [
        START,
        "# `loom diff` wall-time benchmark",
        "",
        f"Command: `python benchmarks/bench_diff.py --runs {runs}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average (1 min) "
        f"{load[0]:.2f} before, {load[1]:.2f} after  ",
        f"litloom at {commit} (Python {platform.python_version()})  ",
        f"Runs: median of {runs} after one warm-up; whole process, wall time (and CPU time: "
        "user and system, which other processes on the machine disturb less).",
        "",
        "| revisions | files changed | `loom diff A B` wall | CPU | `git diff --stat A B` "
        "| target (wall) | what `loom diff` found |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        limit = TARGETS[str(row["name"])]
        (wall, cpu), (stat, _) = row["loom"], row["git"]
        verdict = "pass" if wall <= limit else "**FAIL**"
        lines.append(
            f"| {LABELS[str(row['name'])]} (`{row['old']}..{row['new']}`) "
            f"| {str(row['files']).split()[0]} | {wall:.3f} s | {cpu:.3f} s | {stat:.3f} s "
            f"| ≤ {limit:.0f} s: {verdict} | {row['found']} |"
        )
    return "\n".join([*lines, END])


def record(text: str) -> None:
    """Put the table into results.md: in place of the last one, or at the end."""
    put_section(RESULTS_MD, text, START, END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    parser.add_argument("--docs", type=int, default=1000, help="corpus size (default 1000)")
    args = parser.parse_args(argv)
    if shutil.which("git") is None:
        print("bench_diff: git is needed", file=sys.stderr)
        return 1
    load = os.getloadavg()[0]
    try:
        rows = benchmark(args.runs, args.docs)
    except BenchError as error:
        print(f"bench_diff: {error}", file=sys.stderr)
        return 1
    text = table(rows, args.runs, (load, os.getloadavg()[0]))
    print(text)
    record(text)
    print(f"wrote {RESULTS_MD.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
