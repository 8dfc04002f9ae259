"""Two versions of litloom on the same inputs, runs interleaved: does a change cost time?

    .venv/bin/python benchmarks/bench_versions.py REV [--runs 7]

REV is a git revision (the commit before a change, say). Its `tangled_src/` is exported
with `git archive` into build/bench/versions/REV and put first on PYTHONPATH; the working
tree's package is the other. Each scenario runs both versions in turn, on copies of the
same corpus (benchmarks/corpus.py, and bench_nbdev's generated notebooks when present), so
that the machine's drift between sessions cannot pass for a regression. Medians of
whole-process wall time; CPU time (user + system) beside them, which the disk's variance
touches less.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "bench" / "versions"


def export(rev: str) -> Path:
    """The package of `rev`, exported once."""
    folder = WORK / rev
    if not (folder / "litloom").is_dir():
        data = subprocess.run(["git", "archive", rev, "tangled_src/litloom"], cwd=REPO,
                              capture_output=True, check=True).stdout
        with tarfile.open(fileobj=BytesIO(data)) as archive:
            archive.extractall(WORK / f"{rev}.tmp", filter="data")
        shutil.rmtree(folder, ignore_errors=True)
        (WORK / f"{rev}.tmp" / "tangled_src").rename(folder)
        shutil.rmtree(WORK / f"{rev}.tmp")
    return folder


def run(command: list[str], cwd: Path, path: str) -> tuple[float, float]:
    """(wall, cpu) seconds of one whole process."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if path:
        env["PYTHONPATH"] = path
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (
        after.children_system - before.children_system)


def scenario(name: str, runs: int, versions: dict[str, str], corpus: Path, command: list[str],
             reset: bool) -> list[str]:
    """Time `command` in a copy of `corpus` per version, alternating the versions."""
    copies = {}
    for label in versions:
        copies[label] = WORK / f"run-{label}"
        shutil.rmtree(copies[label], ignore_errors=True)
        shutil.copytree(corpus, copies[label], symlinks=True)
        run(command, copies[label], versions[label])  # warm-up, and traces for a no-op
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in versions}
    for _ in range(runs):
        for label, path in versions.items():
            if reset:
                for leftover in ["out", "build", ".litloom"]:
                    shutil.rmtree(copies[label] / leftover, ignore_errors=True)
                (copies[label] / ".litloom-manifest").unlink(missing_ok=True)
            times[label].append(run(command, copies[label], path))
    rows = []
    for label in versions:
        wall = statistics.median(t[0] for t in times[label])
        cpu = statistics.median(t[1] for t in times[label])
        rows.append(f"| {name} | {label} | {wall:.3f} s | {cpu:.3f} s |")
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the git revision to compare with (e.g. HEAD~5)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    versions = {args.rev: str(export(args.rev)), "working tree": str(REPO / "tangled_src")}
    loom = [sys.executable, "-m", "litloom", "tangle"]
    rows = ["| scenario | version | wall (median) | CPU (median) |", "|---|---|---:|---:|"]
    for size in (200, 1000):
        corpus = REPO / "build" / "bench" / f"corpus-{size}"
        if not corpus.is_dir():
            subprocess.run([sys.executable, str(REPO / "benchmarks" / "corpus.py"), str(size),
                            str(corpus)], check=True)
        rows += scenario(f"{size} docs, cold tangle", args.runs, versions, corpus, loom, True)
        rows += scenario(f"{size} docs, no-op tangle", args.runs, versions, corpus, loom, False)
    notebooks = REPO / "build" / "bench" / "nbdev" / "generated"
    if notebooks.is_dir():  # made by bench_nbdev.py
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        rows += scenario("500 nbdev test cells, pytest", max(args.runs // 2, 3), versions,
                         notebooks, pytest, False)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
