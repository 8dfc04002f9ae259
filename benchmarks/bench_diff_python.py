"""`loom diff`'s Python semantics and API breakage on litloom's own history.

    PYTHONPATH=tangled_src .venv/bin/python benchmarks/bench_diff_python.py [--runs 5] [REV...]

For each revision REV (default: HEAD~1 and HEAD~20) against HEAD, both revisions are
exported with `git archive` into build/bench/diff-python/ and opened as projects tangled whole
in memory; the script prints the tangle time of both sides, then the median over --runs runs
of `python_changes(old, new)` (definitions, then griffe), in this process, with the number of
modules that differ and of changes found. The first run also pays griffe's import.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from litloom.diff.modules import Side
from litloom.diff.python import python_changes
from litloom.project import open_project

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "build" / "bench" / "diff-python"


def export(revision: str) -> Path:
    """The files of `revision`, in a folder of their own under build/bench."""
    commit = subprocess.run(["git", "rev-parse", revision], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout.strip()
    folder = WORK / commit[:12]
    if not folder.exists():
        shutil.rmtree(folder.with_suffix(".part"), ignore_errors=True)
        folder.with_suffix(".part").mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit], cwd=REPO, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder.with_suffix(".part"))], input=archive,
                       check=True)
        folder.with_suffix(".part").rename(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("revisions", nargs="*", default=["HEAD~1", "HEAD~20"])
    args = parser.parse_args()
    new_root = export("HEAD")
    print("| old | modules differing | changes | tangle both | python_changes (median) |")
    print("|---|---|---|---|---|")
    for revision in args.revisions:
        start = time.perf_counter()
        old = open_project(export(revision), use_traces=False)
        new = open_project(new_root, use_traces=False)
        old.tangled, new.tangled  # noqa: B018 (tangled once, before the timing)
        tangle = time.perf_counter() - start
        times, changes = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            changes = python_changes(old, new)
            times.append(time.perf_counter() - start)
        before, after = Side(old, "old"), Side(new, "new")
        names = before.modules.keys() | after.modules.keys()
        differing = sum(
            1 for n in names
            if n not in before.modules or n not in after.modules
            or before.modules[n].text != after.modules[n].text
        )
        print(f"| {revision} | {differing} of {len(names)} | {len(changes)} | {tangle:.3f} s "
              f"| {statistics.median(times):.3f} s |")


if __name__ == "__main__":
    main()
