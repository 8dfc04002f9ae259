"""`loom stats` speed and memory: litloom itself, 1,000 generated documents, --history 100.

    python benchmarks/bench_stats.py [--runs 5] [--docs 1000] [--commits 100]

Every figure is a whole process (`python -m litloom stats ...` with this checkout's package),
its wall time, CPU time (user and system) and peak resident memory (the child's own max RSS,
from wait4), the median of --runs runs after one untimed warm-up. Each scenario runs in its own
copy under build/bench/stats/ (litloom: a local `git clone` of this repository, so that
--history has the commits; the corpus: benchmarks/corpus.py, committed once):

- warm: the token cache (build/litloom/tokens.marshal) holds every count, as after any run;
- cold: the cache is deleted before each timed run, so every text is counted again.

The issue's targets: litloom <= 0.5 s, 1,000 documents <= 1.5 s, --history 100 on litloom
<= 10 s, peak memory on 1,000 documents <= 200 MB. The table goes into benchmarks/results.md,
between the bench_stats markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import generate
from sections import put_section

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "build" / "bench" / "stats"
PYCACHE = REPO / "build" / "bench" / "pycache"
RESULTS_MD = REPO / "benchmarks" / "results.md"
START, END = "<!-- bench_stats -->", "<!-- /bench_stats -->"
GIT = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


class BenchError(RuntimeError):
    """A command failed."""


def child_env() -> dict[str, str]:
    """This checkout's package first on the path; bytecode in a private cache the warm-up fills."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tangled_src"), env.get("PYTHONPATH", "")])
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return {**env, **GIT}


def run_once(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one `python -m litloom ARGS` process in `cwd`."""
    command = [sys.executable, "-m", "litloom", *args]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                 stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        said = errors.read().decode("utf-8", "replace")
    if code != 0:
        raise BenchError(f"`{' '.join(command)}` in {cwd} exited {code}:\n{said[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # KB on Linux


def measure(runs: int, args: list[str], cwd: Path, cold: bool) -> tuple[float, float, float]:
    """Medians of wall, CPU and peak RSS over `runs` runs after one warm-up; `cold` deletes the
    token cache before each run."""
    env = child_env()
    cache = cwd / "build" / "litloom" / "tokens.marshal"
    run_once(args, cwd, env)
    rows = []
    for _ in range(runs):
        if cold:
            cache.unlink(missing_ok=True)
        rows.append(run_once(args, cwd, env))
    return tuple(statistics.median(r[i] for r in rows) for i in range(3))  # type: ignore[return-value]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT})
    if done.returncode != 0:
        raise BenchError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def litloom_copy() -> Path:
    """A local clone of this repository at HEAD (its history included)."""
    target = WORK / "litloom"
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    git(REPO, "clone", "-q", str(REPO), str(target))
    return target


def corpus_copy(docs: int) -> Path:
    """The generated corpus of `docs` documents, tangled, in a repository of one commit."""
    target = WORK / f"corpus-{docs}"
    shutil.rmtree(target, ignore_errors=True)
    generate(docs, target)
    subprocess.run([sys.executable, "-m", "litloom", "tangle"], cwd=target, env=child_env(),
                   check=True, capture_output=True)
    return target


def benchmark(runs: int, docs: int, commits: int) -> list[tuple[str, tuple[float, float, float], str]]:
    own, corpus = litloom_copy(), corpus_copy(docs)
    history = ["stats", "--history", str(commits)]
    scenarios = [
        ("`loom stats` on litloom, warm", ["stats"], own, False, "≤ 0.5 s"),
        ("`loom stats` on litloom, cold", ["stats"], own, True, "–"),
        (f"`loom stats` on {docs:,} documents, warm", ["stats"], corpus, False, "≤ 1.5 s; ≤ 200 MB"),
        (f"`loom stats` on {docs:,} documents, cold", ["stats"], corpus, True, "≤ 200 MB"),
        (f"`loom stats --history {commits}` on litloom, warm", history, own, False, "≤ 10 s"),
        (f"`loom stats --history {commits}` on litloom, cold", history, own, True, "≤ 10 s"),
        ("`loom check` on litloom (for scale)", ["check"], own, False, "–"),
    ]
    return [(name, measure(runs, args, cwd, cold), target)
            for name, args, cwd, cold, target in scenarios]


def verdict(name: str, figures: tuple[float, float, float], target: str) -> str:
    if target == "–":
        return "–"
    checks = []
    for bound in target.split("; "):
        limit = float(bound.split()[1])
        value = figures[2] if bound.endswith("MB") else figures[0]
        checks.append(value <= limit)
    return f"{target}: {'pass' if all(checks) else 'FAIL'}"


def table(rows: list, runs: int, load: tuple[float, float], commit: str) -> str:
    lines = [
        START,
        "# `loom stats` benchmark (issue 15)",
        "",
        f"Command: `python benchmarks/bench_stats.py --runs {runs}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average (1 min) "
        f"{load[0]:.2f} before, {load[1]:.2f} after  ",
        f"litloom at {commit} (Python {platform.python_version()})  ",
        f"Runs: median of {runs} after one warm-up; whole process: wall time, CPU time (user and "
        "system) and peak resident memory (the process's own max RSS). Warm: the token cache "
        "holds every count; cold: it is deleted before each run.",
        "",
        "| scenario | wall (median) | CPU | peak RSS | target |",
        "|---|---:|---:|---:|---|",
    ]
    for name, figures, target in rows:
        wall, cpu, rss = figures
        lines.append(f"| {name} | {wall:.3f} s | {cpu:.3f} s | {rss:.0f} MB | "
                     f"{verdict(name, figures, target)} |")
    return "\n".join([*lines, END])


def record(text: str) -> None:
    """Put the table into results.md: in place of the last one, or at the end."""
    put_section(RESULTS_MD, text, START, END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--no-record", action="store_true", help="Print only.")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    try:
        rows = benchmark(args.runs, args.docs, args.commits)
    except BenchError as error:
        print(f"bench_stats: {error}", file=sys.stderr)
        return 1
    commit = git(REPO, "rev-parse", "--short", "HEAD").strip()
    text = table(rows, args.runs, (load, os.getloadavg()[0]), commit)
    print(text)
    if not args.no_record:
        record(text)
        print(f"wrote {RESULTS_MD.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
