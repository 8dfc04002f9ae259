"""Runbook speed: kernel start-up, `loom run` against the papermill command line, and --all -j 2.

    .venv/bin/python benchmarks/bench_runs.py [--runs 5]

Whole-process wall times, medians over --runs runs:

- kernel start-up: jupyter_client starting the project's kernel (litloom's kernelspec) until it
  answers, then shutting it down (timed in this process);
- `loom run small` against `papermill` on the notebook `loom notebooks` wrote for it, with the
  same kernel (target: loom <= 1.1x papermill);
- `loom run --all -j 2` against `--all -j 1` over ten small runbooks.
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

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUNBOOK = "---\nrunbook: true\n---\n\n# Small {n}\n\n```python {{.parameters}}\nx = 1\n```\n\n" \
          "```python\nimport time\ntotal = sum(range(10000)) + x\ntime.sleep(0.2)\nprint(total)\n```\n"


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def kernel_startup(project: Path, runs: int) -> float:
    from jupyter_client.manager import start_new_kernel

    os.environ["JUPYTER_PATH"] = str(project / "build" / "litloom" / "jupyter")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        manager, client = start_new_kernel(kernel_name="litloom-python")
        times.append(time.perf_counter() - start)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    project = REPO / "build" / "bench" / "runs"
    shutil.rmtree(project, ignore_errors=True)
    (project / "literate").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "bench"\n\n[tool.litloom]\n')
    for n in range(10):
        (project / "literate" / f"small{n}.md").write_text(RUNBOOK.format(n=n))
    loom = str(BIN / "loom")
    subprocess.run([loom, "run", "small0"], cwd=project, check=True, capture_output=True)
    subprocess.run([loom, "notebooks"], cwd=project, check=True, capture_output=True)
    env = {**os.environ, "JUPYTER_PATH": str(project / "build" / "litloom" / "jupyter")}
    paper = [str(BIN / "papermill"), "notebooks/small0.ipynb", str(project / "out.ipynb"),
             "-k", "litloom-python", "--no-progress-bar"]
    rows = {
        "kernel start-up": kernel_startup(project, runs),
        "papermill small0 (command line)": statistics.median(
            timed(paper, project, env) for _ in range(runs)),
        "loom run small0": statistics.median(
            timed([loom, "run", "small0"], project) for _ in range(runs)),
        "loom run --all -j 1 (ten runbooks)": statistics.median(
            timed([loom, "run", "--all", "-j", "1"], project) for _ in range(max(runs // 2, 1))),
        "loom run --all -j 2 (ten runbooks)": statistics.median(
            timed([loom, "run", "--all", "-j", "2"], project) for _ in range(max(runs // 2, 1))),
    }
    print("| measure | median wall time |\n|---|---:|")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.2f} s |")
    ratio = rows["loom run small0"] / rows["papermill small0 (command line)"]
    speedup = rows["loom run --all -j 1 (ten runbooks)"] / rows["loom run --all -j 2 (ten runbooks)"]
    print(f"\nloom run / papermill: {ratio:.2f}x (target <= 1.1x: {'pass' if ratio <= 1.1 else 'FAIL'});"
          f" --all -j 2 is {speedup:.2f}x faster than -j 1.")


if __name__ == "__main__":
    main()
