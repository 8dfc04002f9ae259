"""Whole-process wall time of `loom weave` on the tangle benchmark's corpus, and of a full build.

    .venv/bin/python benchmarks/bench_weave.py [--runs 5] [--docs 1000] [--no-site]

The corpus is benchmarks/corpus.py's (about 11 chunks per document, 4 KB each). Measured, as
medians over --runs runs of the whole `loom` process:

- cold weave: build/docs and every weave cache deleted first (everything highlighted);
- warm weave: the highlight cache kept, build/docs deleted (every page written again);
- no-op weave: nothing changed since the last weave;
- weave after one edit: one document changed;

and, once, the full `loom build` (tangle, check, weave and the mkdocs site) from nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from corpus import edit_document, generate

REPO = Path(__file__).resolve().parent.parent
LOOM = str(Path(sys.executable).with_name("loom"))
TARGET = 2.0  # seconds for weaving 1,000 documents, mkdocs excluded


def timed(*args: str, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([LOOM, *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def median(runs: int, before, action) -> float:
    times = []
    for run in range(runs):
        before(run)
        times.append(action())
    return statistics.median(times)


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
    os.symlink(REPO / "node_modules", project / "node_modules")
    subprocess.run([LOOM, "tangle"], cwd=project, check=True, capture_output=True)
    caches = ("docs", "litloom/highlight.marshal", "litloom/python.marshal", "litloom/weave.json")
    rows = {
        "cold weave (nothing cached)": median(
            options.runs, lambda _: clear(project, *caches), lambda: timed("weave", cwd=project)),
        "warm weave (highlighting cached)": median(
            options.runs, lambda _: clear(project, "docs", "litloom/weave.json"),
            lambda: timed("weave", cwd=project)),
        "no-op weave": median(options.runs, lambda _: None, lambda: timed("weave", cwd=project)),
        "weave after one edit": median(
            options.runs, lambda run: edit_document(documents[len(documents) // 2], 7000 + run),
            lambda: timed("weave", cwd=project)),
    }
    if not options.no_site:
        shutil.rmtree(project / "build", ignore_errors=True)
        rows["full `loom build` from nothing, 1 run (with mkdocs)"] = timed("build", cwd=project)
    print(f"| {options.docs} documents | wall time |\n|---|---:|")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.2f} s |")
    cold = rows["cold weave (nothing cached)"]
    print(f"\nTarget: weaving {options.docs} documents in <= {TARGET} s (mkdocs excluded): "
          f"cold {'pass' if cold <= TARGET else 'FAIL'}, "
          f"warm {'pass' if rows['warm weave (highlighting cached)'] <= TARGET else 'FAIL'}.")


if __name__ == "__main__":
    main()
