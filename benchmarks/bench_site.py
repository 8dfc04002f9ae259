"""The site engines side by side: mkdocs against Zensical, on the same generated corpus.

    python benchmarks/bench_site.py [--runs 5] [--docs 1000] [--serve-docs 50] [--no-record]

For each engine ([tool.litloom] engine), in the same run, whole `loom` processes (wall time, CPU
time of the process and its children, peak RSS of the largest):

- site from nothing: `loom build` with no build/ (tangle, weave and site), once per engine
  (it takes minutes with mkdocs at 1,000 documents);
- one document edited: `loom build` after one chunk line of one document changed (median of
  --runs), the site included;
- no-op: `loom build` with nothing changed (median of --runs);

and `loom serve` on a --serve-docs project: a document saved, then the edited page served with
the edit (what the page's reload shows), median of --runs.

The table goes to benchmarks/results.md between its markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from corpus import edit_document, generate
from sections import put_section

REPO = Path(__file__).resolve().parent.parent
RESULTS_MD = REPO / "benchmarks" / "results.md"
NODE_MODULES = Path(os.environ.get("LITLOOM_NODE_MODULES") or REPO / "node_modules")
START, END = "<!-- bench_site -->", "<!-- /bench_site -->"
ENGINES = ("mkdocs", "zensical")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tangled_src"), env.get("PYTHONPATH", "")])
    return env


def loom(args: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall s, CPU s of it and its children, peak RSS MB) of one `loom ARGS`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "litloom", *args],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(
            f"loom {' '.join(args)} in {cwd} exited {done.returncode}:\n{done.stderr[-3000:]}"
        )
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def project(docs: int, engine: str) -> tuple[Path, list[Path]]:
    root = REPO / "build" / "bench" / f"site-{engine}-{docs}"
    shutil.rmtree(root, ignore_errors=True)
    documents = generate(docs, root)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    text = (root / "pyproject.toml").read_text() if (root / "pyproject.toml").exists() else ""
    if "[tool.litloom]" in text:
        text = text.replace("[tool.litloom]", f'[tool.litloom]\nengine = "{engine}"', 1)
    else:
        text += f'\n[tool.litloom]\nengine = "{engine}"\n'
    (root / "pyproject.toml").write_text(text)
    os.symlink(NODE_MODULES, root / "node_modules")
    return root, documents


def median(samples: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return tuple(statistics.median(s[i] for s in samples) for i in range(3))  # type: ignore[return-value]


def builds(engine: str, docs: int, runs: int) -> dict[str, tuple[float, float, float]]:
    root, documents = project(docs, engine)
    rows = {"site from nothing (`loom build`)": loom(["build"], root)}
    said(engine, rows)
    edits = []
    for run in range(runs):
        edit_document(documents[len(documents) // 2], 9000 + run)
        edits.append(loom(["build"], root))
    rows["one document edited (`loom build`)"] = median(edits)
    rows["no-op (`loom build`)"] = median([loom(["build"], root) for _ in range(runs)])
    said(engine, rows)
    return rows


def said(engine: str, rows: dict) -> None:
    """Progress on standard error: a long run shows what it measured so far."""
    for name, (wall, cpu, _) in rows.items():
        print(f"{engine}: {name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except OSError:
        return ""


def serve(engine: str, docs: int, runs: int) -> tuple[float, float, float]:
    """Median seconds from a document saved to its page served with the edit (the page's
    reload polls every second on top of it: see literate/weave/serve.md)."""
    root, documents = project(docs, engine)
    port, edited = free_port(), documents[len(documents) // 2]
    page = f"http://127.0.0.1:{port}/{edited.stem}.html"
    server = subprocess.Popen(
        [sys.executable, "-m", "litloom", "serve", "--port", str(port)],
        cwd=root,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while "THRESHOLD" not in fetch(page) and time.monotonic() < deadline:
            time.sleep(0.2)
        times = []
        for run in range(runs):
            value = 8000 + run
            time.sleep(1.0)  # a save is not in the same tick as the last build
            start = time.perf_counter()
            edit_document(edited, value)
            while not re.search(rf"\b{value}\b", fetch(page)):
                if time.perf_counter() - start > 300:
                    raise SystemExit(f"loom serve ({engine}) did not rebuild in 300 s")
                time.sleep(0.02)
            times.append(time.perf_counter() - start)
        print(f"{engine}: serve: {times}", file=sys.stderr)
        return statistics.median(times), min(times), max(times)
    finally:
        server.terminate()
        server.wait(timeout=30)


def table(figures: dict, serving: dict, options: argparse.Namespace, load: tuple) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True, capture_output=True
    ).stdout.strip()
    lines = [
        START,
        "# Site engines: mkdocs against Zensical (issue 17)",
        "",
        f"Command: `python benchmarks/bench_site.py --runs {options.runs} --docs {options.docs}"
        f" --serve-docs {options.serve_docs}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average (1 min) "
        f"{load[0]:.2f} before, {load[1]:.2f} after  ",
        f"litloom at {commit}; zensical {version('zensical')}, mkdocs {version('mkdocs')}, "
        f"mkdocs-material {version('mkdocs-material')}  ",
        "Whole `loom` processes; CPU includes the engine's own process (Zensical runs as one).",
        "",
        f"| {options.docs} documents | engine | wall | CPU | peak RSS | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    targets = {"site from nothing (`loom build`)": 30.0, "one document edited (`loom build`)": 5.0}
    engines = tuple(figures)
    for name in figures[engines[0]]:
        for engine in engines:
            wall, cpu, rss = figures[engine][name]
            limit = targets.get(name)
            verdict = f"<= {limit:g} s: {'pass' if wall <= limit else 'FAIL'}" if limit else "–"
            lines.append(
                f"| {name} | {engine} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MB | {verdict} |"
            )
    lines += [
        "",
        f"| `loom serve`, {options.serve_docs} documents: save to page served | engine "
        "| median | fastest | slowest | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for engine in engines:
        middle, low, high = serving[engine]
        verdict = f"<= 1 s: {'pass' if middle <= 1.0 else 'FAIL'}"
        lines.append(
            f"| save, then the page served with the edit | {engine} | {middle:.2f} s "
            f"| {low:.2f} s | {high:.2f} s | {verdict} |"
        )
    return "\n".join([*lines, END])


def version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed(name)
    except PackageNotFoundError:
        return "not installed"


def record(text: str) -> None:
    """Put the table into results.md: in place of the last one, or at the end."""
    put_section(RESULTS_MD, text, START, END)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--serve-docs", type=int, default=50)
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--no-record", action="store_true", help="Print only.")
    options = parser.parse_args(argv)
    engines = tuple(options.engines.split(","))
    load = os.getloadavg()[0]
    figures = {engine: builds(engine, options.docs, options.runs) for engine in engines}
    serving = {engine: serve(engine, options.serve_docs, options.runs) for engine in engines}
    text = table(figures, serving, options, (load, os.getloadavg()[0]))
    print(text)
    if not options.no_record:
        record(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
