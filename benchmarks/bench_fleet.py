"""Beyond one machine: runbook fleets on Dask against local runs, and `loom test --shard` overheads.

    .venv/bin/python benchmarks/bench_fleet.py [--runs 5] [--no-record]

Whole-process wall times, medians over --runs runs, on a LocalCluster of 2 single-threaded worker
processes on 127.0.0.1 that this script starts (the same cores as the local runs: this measures
Dask's cost, not a bigger cluster's gain):

- Dask's own round trip: one empty task submitted and its result back (in this process);
- one runbook: `loom run --all -j 1` against `loom run --all --executor dask` (a project of one);
- ten runbooks: `loom run --all -j 2` against `--executor dask` on the 2 workers;
- `loom test` of 200 test chunks against `loom test --shard 1/2` and `--shard 2/2`.

The table goes into benchmarks/results.md between the `<!-- bench_fleet -->` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sections import put_section

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS_MD = REPO / "benchmarks" / "results.md"
START, END = "<!-- bench_fleet -->", "<!-- /bench_fleet -->"
RUNBOOK = "---\nrunbook: true\n---\n\n# Small {n}\n\n```python {{.parameters}}\nx = 1\n```\n\n" \
          "```python\nimport time\ntotal = sum(range(10000)) + x\ntime.sleep(0.2)\nprint(total)\n```\n"
TEST = "# Tests {n}\n\n```python {{.test #t{n}}}\nassert sum(range({n})) >= 0\n```\n"
CONNECT = (
    "import sys, time\nstart = time.perf_counter()\nfrom distributed import Client\n"
    "client = Client(sys.argv[1])\nprint(time.perf_counter() - start)\nclient.close()"
)
PYPROJECT = '[project]\nname = "bench"\n\n[tool.litloom]\n\n[tool.pytest.ini_options]\n'


def timed(command: list[str], cwd: Path, codes: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode not in codes:
        raise SystemExit(f"{' '.join(command)}: exit {result.returncode}\n{result.stderr}")
    return time.perf_counter() - start


def median(command: list[str], cwd: Path, runs: int) -> float:
    return statistics.median(timed(command, cwd) for _ in range(runs))


def paired(first: list[str], second: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Medians of two commands run in turn, so that a change of the machine's load hits both."""
    pairs = [(timed(first, cwd), timed(second, cwd)) for _ in range(runs)]
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)


def project(name: str, files: dict[str, str]) -> Path:
    root = REPO / "build" / "bench" / name
    shutil.rmtree(root, ignore_errors=True)
    (root / "literate").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    for relative, text in files.items():
        (root / relative).write_text(text)
    return root


def round_trip(client, runs: int) -> float:
    times = []
    for n in range(max(runs, 20)):
        start = time.perf_counter()
        client.submit(int, n, pure=False).result()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def benchmark(runs: int) -> list[tuple[str, float, str]]:
    from distributed import Client, LocalCluster

    loom = str(BIN / "loom")
    one = project("fleet-one", {"literate/small0.md": RUNBOOK.format(n=0)})
    ten = project("fleet-ten", {f"literate/small{n}.md": RUNBOOK.format(n=n) for n in range(10)})
    tests = project("shard", {f"literate/t{n}.md": TEST.format(n=n) for n in range(200)})
    rows: list[tuple[str, float, str]] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:
        dask = ["--executor", "dask", "--scheduler", cluster.scheduler_address]
        say(rows, ("Dask round trip, one empty task", round_trip(client, runs), "in process"))
        for root in (one, ten):
            timed([loom, "run", "--all", *dask], root)  # warm-up: kernelspec, bytecode
        local1, dask1 = paired([loom, "run", "--all", "-j", "1"], [loom, "run", "--all", *dask],
                               one, runs)
        start = [sys.executable, "-c", CONNECT, cluster.scheduler_address]
        client_start = statistics.median(
            float(subprocess.run(start, capture_output=True, text=True, check=True).stdout)
            for _ in range(runs))
        say(rows, ("a client's start: import distributed, connect", client_start, "once per command"))
        say(rows, ("one runbook, local (`--all -j 1`)", local1, ""))
        say(rows, ("one runbook, Dask", dask1, f"+{dask1 - local1:.2f} s"))
        local10, dask10 = paired([loom, "run", "--all", "-j", "2"], [loom, "run", "--all", *dask],
                                 ten, runs)
        say(rows, ("ten runbooks, local (`--all -j 2`)", local10, ""))
        say(rows, ("ten runbooks, Dask (2 workers)", dask10, f"{dask10 / local10:.2f}x local"))
    timed([loom, "test", "-q"], tests)  # records the durations the shards split by
    full = median([loom, "test", "-q"], tests, runs)
    say(rows, ("`loom test`, 200 test chunks", full, ""))
    for index in (1, 2):
        part = median([loom, "test", "-q", "--shard", f"{index}/2"], tests, runs)
        say(rows, (f"`loom test --shard {index}/2`", part, f"{part / full:.2f}x the whole"))
    return rows


def say(rows: list[tuple[str, float, str]], row: tuple[str, float, str]) -> None:
    rows.append(row)
    name, seconds, note = row
    print(f"{name}: {seconds:.3f} s {note}", file=sys.stderr, flush=True)


def table(rows: list[tuple[str, float, str]], runs: int, load: tuple[float, float]) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()
    lines = [
        START,
        "# Beyond one machine: runbook fleets on Dask, test shards (issue 17)",
        "",
        f"Command: `python benchmarks/bench_fleet.py --runs {runs}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average (1 min) "
        f"{load[0]:.2f} before, {load[1]:.2f} after  ",
        f"litloom at {commit} (Python {platform.python_version()})  ",
        f"Runs: median of {runs}, whole process, wall time; the Dask cluster is a LocalCluster "
        "of 2 single-threaded workers on the same cores as the local runs.",
        "",
        "| measure | wall (median) | note |",
        "|---|---:|---|",
        *(f"| {name} | {seconds:.3f} s | {note} |" for name, seconds, note in rows),
        END,
    ]
    return "\n".join(lines)


def record(text: str) -> None:
    """Put the table into results.md: in place of the last one, or at the end."""
    put_section(RESULTS_MD, text, START, END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true", help="Print only.")
    args = parser.parse_args(argv)
    before = os.getloadavg()[0]
    rows = benchmark(args.runs)
    text = table(rows, args.runs, (before, os.getloadavg()[0]))
    print(text)
    if not args.no_record:
        record(text)
        print(f"wrote {RESULTS_MD.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
