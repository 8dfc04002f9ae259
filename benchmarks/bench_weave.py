"""Whole-process wall time of `loom weave` on the tangle benchmark's corpus, and of a full build.

    .venv/bin/python benchmarks/bench_weave.py [--runs 5] [--docs 1000] [--no-site]

The corpus is benchmarks/corpus.py's (about 11 chunks per document, 4 KB each). Measured, as
medians over --runs runs of the whole `loom` process:

- cold weave: build/docs and every weave cache deleted first (everything highlighted), after
  a tangle whose traces vouch for every document, as in any project whose documents were not
  saved in the last 0.1 s; and the same right after the corpus was written, when they vouch
  for almost none, so that the whole tangle is made again in memory;
- warm weave: the highlight cache kept, build/docs deleted (every page written again);
- no-op weave: nothing changed since the last weave;
- weave after one edit: one document changed;

and, once, the full `loom build` (tangle, check, weave and the mkdocs site) from nothing.
Each row also has the median CPU time (user and system, of the process and the highlighting
pool it waits for) and the peak memory (max RSS of the largest process). The table goes into
benchmarks/results.md between the bench_weave markers.
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

from corpus import edit_document, generate
from sections import put_section

REPO = Path(__file__).resolve().parent.parent
LOOM = str(Path(sys.executable).with_name("loom"))
RESULTS_MD = REPO / "benchmarks" / "results.md"
START, END = "<!-- bench_weave -->", "<!-- /bench_weave -->"
TARGET = 2.0  # seconds for weaving 1,000 documents, mkdocs excluded
MEMORY_MB = 300.0  # peak memory of a weave of 1,000 documents (issue 17)


def timed(*args: str, cwd: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one whole `loom ARGS` process and the children it waited
    for; CalledProcessError if it fails."""
    with tempfile.TemporaryFile() as output:
        before = os.times()
        start = time.perf_counter()
        child = subprocess.Popen([LOOM, *args], cwd=cwd, stdout=output, stderr=output)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        after = os.times()
        code = os.waitstatus_to_exitcode(status)
        if code:
            output.seek(0)
            print(output.read().decode("utf-8", "replace")[-3000:], file=sys.stderr)
            raise subprocess.CalledProcessError(code, [LOOM, *args])
    cpu = usage.ru_utime + usage.ru_stime
    # the highlighting pool's processes are the grandchildren: their times reach
    # RUSAGE_CHILDREN through the loom process, which os.times() sees as children's time
    cpu = max(cpu, (after.children_user - before.children_user)
              + (after.children_system - before.children_system))
    return wall, cpu, usage.ru_maxrss / 1024


def median(runs: int, before, action) -> tuple[float, float, float]:
    rows = []
    for run in range(runs):
        before(run)
        rows.append(action())
    return tuple(statistics.median(r[i] for r in rows) if i < 2 else max(r[2] for r in rows)
                 for i in range(3))


def set_aside(project: Path, trash: Path, *names: str) -> None:
    """Move build/NAMES into `trash` (deleted once every run is timed) instead of deleting them.

    On this machine (ext4), a weave run right after the previous weave's 2,007 files were
    deleted spends about 155 µs creating each of its files, and still did 7 s after the
    deletion; run after they were moved aside, it spends about 16 µs, as a plain loop creating
    2,000 such files does either way. So `clear` measures the weave plus the aftermath of the
    benchmark's own deletion, and this measures the weave into an empty folder."""
    trash.mkdir(parents=True)
    for name in names:
        path = project / "build" / name
        if path.exists():
            path.rename(trash / name.replace("/", "_"))


def clear(project: Path, *names: str) -> None:
    for name in names:
        path = project / "build" / name
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--no-site", action="store_true", help="skip the full build with mkdocs")
    options = parser.parse_args()
    project = REPO / "build" / "bench" / f"weave-{options.docs}"
    shutil.rmtree(project, ignore_errors=True)
    documents = generate(options.docs, project)
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    modules = Path(os.environ.get("LITLOOM_NODE_MODULES") or REPO / "node_modules")
    os.symlink(modules, project / "node_modules")
    subprocess.run([LOOM, "tangle"], cwd=project, check=True, capture_output=True)
    caches = ("docs", "litloom/highlight.marshal", "litloom/python.marshal", "litloom/weave.json")
    rows = {  # the documents were written just now: the tangle's traces vouch for few of them
        "cold weave, documents written just before the tangle": median(
            options.runs, lambda _: clear(project, *caches), lambda: timed("weave", cwd=project)),
    }
    time.sleep(0.2)  # older than the racy window (0.1 s): a tangle now traces every document
    subprocess.run([LOOM, "tangle"], cwd=project, check=True, capture_output=True)
    trash = project.parent / f"{project.name}-set-aside"
    shutil.rmtree(trash, ignore_errors=True)
    rows |= {
        "cold weave (nothing cached)": median(
            options.runs, lambda _: clear(project, *caches), lambda: timed("weave", cwd=project)),
        "cold weave into an empty build/docs, the last output set aside": median(
            options.runs, lambda run: set_aside(project, trash / str(run), *caches),
            lambda: timed("weave", cwd=project)),
        "warm weave (highlighting cached)": median(
            options.runs, lambda _: clear(project, "docs", "litloom/weave.json"),
            lambda: timed("weave", cwd=project)),
        "no-op weave": median(options.runs, lambda _: None, lambda: timed("weave", cwd=project)),
        "weave after one edit": median(
            options.runs, lambda run: edit_document(documents[len(documents) // 2], 7000 + run),
            lambda: timed("weave", cwd=project)),
    }
    shutil.rmtree(trash, ignore_errors=True)
    if not options.no_site:
        shutil.rmtree(project / "build", ignore_errors=True)
        rows["full `loom build` from nothing, 1 run (with mkdocs)"] = timed("build", cwd=project)
    lines = [START, "# `loom weave` benchmark", "",
             f"Command: `python benchmarks/bench_weave.py {' '.join(sys.argv[1:])}`  ",
             f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average (1 min) "
             f"{os.getloadavg()[0]:.2f} at the end. Medians of {options.runs} runs, "
             "whole process.", "",
             f"| {options.docs} documents | wall time | CPU time | peak memory |",
             "|---|---:|---:|---:|"]
    lines += [f"| {name} | {wall:.2f} s | {cpu:.2f} s | {peak:.0f} MB |"
              for name, (wall, cpu, peak) in rows.items()]
    cold = rows["cold weave (nothing cached)"][0]
    empty = rows["cold weave into an empty build/docs, the last output set aside"][0]
    peak = max(r[2] for name, r in rows.items() if "weave" in name)
    lines += ["", f"Targets ({options.docs} documents; 1,000 in issue 17): cold weave ≤ {TARGET} s "
              f"(mkdocs excluded): {'pass' if cold <= TARGET else '**FAIL**'} right after "
              f"deleting the last output, {'pass' if empty <= TARGET else '**FAIL**'} into an "
              "empty folder; peak memory of a "
              f"weave ≤ {MEMORY_MB:.0f} MB: {'pass' if peak <= MEMORY_MB else '**FAIL**'}.", END]
    text = "\n".join(lines)
    print(text)
    put_section(RESULTS_MD, text, START, END)


if __name__ == "__main__":
    main()
