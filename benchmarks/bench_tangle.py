"""Whole-process wall time of `loom tangle`, compared with Entangled on the same corpus.

Usage: .venv/bin/python benchmarks/bench_tangle.py [--runs N] [--sizes 200,1000]
       [--no-entangled] [--loom PATH] [--entangled-python PATH]

Three runners on copies of one corpus: litloom, litloom on the same corpus read as an
Entangled project (its entangled.toml, no [tool.litloom]), and Entangled itself. Each cell
also has the peak memory (max RSS) of the process. The table goes into benchmarks/results.md
between the bench_tangle markers.

See benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from corpus import edit_document, generate
from sections import put_section

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "build" / "bench"
VENV = REPO / "build" / "bench-venv"
RESULTS_MD = REPO / "benchmarks" / "results.md"
RESULTS_JSON = BENCH_DIR / "results.json"

ENTANGLED_VERSION = "2.5.0"  # entangled-cli 2.4.2 and later need Python >= 3.13
ENTANGLED_MIN_PYTHON = (3, 13)

TARGET_DOCS = 1000
TARGETS = {"cold": 0.5, "noop": 0.15, "edit": 0.25, "version": 0.15}  # seconds, 2 cores
RATIOS = {"cold": 10.0, "noop": 20.0, "edit": 15.0}  # Entangled / litloom, same run (issue 17)
MEMORY_MB = 150.0  # peak memory of a tangle of 1,000 documents (issue 17)
START, END = "<!-- bench_tangle -->", "<!-- /bench_tangle -->"
SCENARIOS = {
    "cold": "cold tangle",
    "noop": "no-op re-run",
    "edit": "re-run after one edit",
    "version": "`--version`",
}


class BenchError(RuntimeError):
    """A tool failed on the corpus, or the corpus could not be set up."""


@dataclass(frozen=True)
class Tool:
    """How to run one tool, and what a cold run must delete first."""

    name: str
    exe: str
    state: tuple[str, ...]
    env: dict[str, str]
    dialect: str = ""  # "entangled": litloom reading the corpus as an Entangled project

    def tangle(self, cwd: Path) -> float:
        return timed([self.exe, "tangle"], cwd, self.env)

    def version(self, cwd: Path) -> float:
        return timed([self.exe, "--version"], cwd, self.env)

    def clear(self, project: Path) -> None:
        for name in self.state:
            path = project / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def litloom_tool(exe: str, env: dict[str, str], dialect: str = "") -> Tool:
    name = "litloom-as-entangled" if dialect else "litloom"
    return Tool(name, exe, ("out", ".litloom-manifest", "build"), env, dialect)


def entangled_tool(exe: str, env: dict[str, str]) -> Tool:
    return Tool("entangled", exe, ("out", ".entangled"), env)


def child_env(bytecode_cache: bool) -> dict[str, str]:
    """The environment of the timed processes.

    With the cache (the default), bytecode goes to a private PYTHONPYCACHEPREFIX that the
    warm-up run fills, as a user's first run would, for both tools alike and without adding
    __pycache__ folders to their installs or the source tree. Without it, PYTHONDONTWRITEBYTECODE
    is set and each tool uses only the bytecode its install already has.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if bytecode_cache:
        prefix = BENCH_DIR / "pycache"
        shutil.rmtree(prefix, ignore_errors=True)
        env["PYTHONPYCACHEPREFIX"] = str(prefix)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# --- running and timing ------------------------------------------------------------------


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


PEAKS: list[float] = []  # peak RSS (MB) of each process timed, in order


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one whole process (its peak RSS goes to PEAKS); BenchError if it fails."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=output, stderr=output)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        output.seek(0)
        said = output.read().decode("utf-8", "replace")
    PEAKS.append(usage.ru_maxrss / 1024)  # KB on Linux
    if code != 0:
        tail = "\n".join(said.splitlines()[-15:])
        raise BenchError(f"`{' '.join(cmd)}` in {cwd} exited {code}:\n{tail}")
    return elapsed


def measure(runs: int, before: Callable[[int], None], action: Callable[[], float],
            after: Callable[[int], None] = lambda i: None) -> dict[str, object]:
    """One untimed warm-up, then `runs` timed runs; `before(i)` and `after(i)` are untimed."""
    times, peaks = [], []
    for i in range(runs + 1):
        before(i)
        elapsed = action()
        after(i)
        if i:
            times.append(elapsed)
            peaks.append(PEAKS[-1])
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "runs": times, "peak_mb": max(peaks)}


# --- scenarios -----------------------------------------------------------------------------


def bench_cold(tool: Tool, project: Path, runs: int) -> dict[str, object]:
    return measure(runs, lambda i: tool.clear(project), lambda: tool.tangle(project))


def bench_noop(tool: Tool, project: Path, runs: int) -> dict[str, object]:
    tool.tangle(project)
    return measure(runs, lambda i: None, lambda: tool.tangle(project))


def bench_edit(tool: Tool, project: Path, runs: int, doc: int) -> dict[str, object]:
    """Before each run, give the THRESHOLD line of one document a value it never had."""
    source = project / "literate" / f"doc_{doc:04d}.md"
    target = project / "out" / f"mod_{doc:04d}.py"
    tool.tangle(project)

    def check(i: int) -> None:
        if f"THRESHOLD_{doc:04d} = {1000 + i}\n" not in target.read_text(encoding="utf-8"):
            raise BenchError(f"{tool.name}: the edit of {source.name} did not reach {target}")

    return measure(runs, lambda i: edit_document(source, 1000 + i),
                   lambda: tool.tangle(project), check)


def bench_size(tools: list[Tool], size: int, runs: int) -> dict[str, dict[str, object]]:
    """All tangle scenarios for one corpus size; each tool gets its own copy of the corpus."""
    master = BENCH_DIR / f"corpus-{size}"
    shutil.rmtree(master, ignore_errors=True)
    generate(size, master)
    results: dict[str, dict[str, object]] = {"cold": {}, "noop": {}, "edit": {}}
    for tool in tools:
        project = BENCH_DIR / f"{tool.name}-{size}"
        shutil.rmtree(project, ignore_errors=True)
        shutil.copytree(master, project)
        if tool.dialect == "entangled":
            as_entangled(project)
        print(f"  {tool.name}: cold", file=sys.stderr)
        results["cold"][tool.name] = bench_cold(tool, project, runs)
        print(f"  {tool.name}: no-op", file=sys.stderr)
        results["noop"][tool.name] = bench_noop(tool, project, runs)
        print(f"  {tool.name}: one edit", file=sys.stderr)
        results["edit"][tool.name] = bench_edit(tool, project, runs, max(1, size // 2))
    check_same_outputs(tools, size)
    return results


def as_entangled(project: Path) -> None:
    """The corpus as an Entangled project: its entangled.toml, and no [tool.litloom]."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.split("[tool.litloom]")[0].rstrip("\n") + "\n", encoding="utf-8")


def check_same_outputs(tools: list[Tool], size: int) -> None:
    """Both tools must have written the same set of files (contents differ by design)."""
    listings = {t.name: sorted(p.name for p in (BENCH_DIR / f"{t.name}-{size}" / "out").iterdir())
                for t in tools}
    first = next(iter(listings.values()))
    if len(first) != size or any(listing != first for listing in listings.values()):
        counts = {name: len(listing) for name, listing in listings.items()}
        raise BenchError(f"{size} docs: the tools wrote different sets of files: {counts}")


# --- finding the tools ---------------------------------------------------------------------


def find_loom(option: str | None) -> str:
    if option:
        return option
    beside = Path(sys.executable).parent / "loom"
    found = str(beside) if beside.is_file() else shutil.which("loom")
    if not found:
        raise BenchError("no `loom` next to this Python or on PATH; pass --loom PATH")
    return found


def python_candidates(option: str | None) -> list[str]:
    """Interpreters that may be new enough for entangled-cli, best first."""
    if option:
        return [option]
    names = [shutil.which(n) for n in ("python3.14", "python3.13")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    pyenvs = sorted(pyenv.glob("3.1[3-9]*/bin/python3"), reverse=True) if pyenv.is_dir() else []
    return [sys.executable, *(n for n in names if n), *map(str, pyenvs), "python3"]


def new_enough(python: str) -> bool:
    check = f"import sys; sys.exit(sys.version_info < {ENTANGLED_MIN_PYTHON!r})"
    try:
        return run([python, "-c", check]).returncode == 0
    except OSError:
        return False


def installed_entangled() -> str | None:
    python = VENV / "bin" / "python"
    if not python.exists():
        return None
    proc = run([str(python), "-c",
                "import importlib.metadata as m; print(m.version('entangled-cli'))"])
    return proc.stdout.strip() if proc.returncode == 0 else None


def ensure_entangled(python_option: str | None) -> str | None:
    """The entangled executable in build/bench-venv, installing it if needed; None if we can't."""
    exe = str(VENV / "bin" / "entangled")
    if installed_entangled() == ENTANGLED_VERSION:
        return exe
    python = next((p for p in python_candidates(python_option) if new_enough(p)), None)
    if python is None:
        version = ".".join(map(str, ENTANGLED_MIN_PYTHON))
        print(f"NOTE: entangled-cli {ENTANGLED_VERSION} needs Python >= {version} and none "
              "was found (try --entangled-python); benchmarking litloom alone.", file=sys.stderr)
        return None
    print(f"installing entangled-cli=={ENTANGLED_VERSION} into {VENV} with {python}",
          file=sys.stderr)
    shutil.rmtree(VENV, ignore_errors=True)
    for cmd in ([python, "-m", "venv", str(VENV)],
                [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                 f"entangled-cli=={ENTANGLED_VERSION}"]):
        proc = run(cmd)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.splitlines()[-5:])
            print(f"NOTE: `{' '.join(cmd)}` failed; benchmarking litloom alone.\n{tail}",
                  file=sys.stderr)
            return None
    return exe


# --- reporting -----------------------------------------------------------------------------


def seconds(stats: dict[str, object] | None) -> tuple[str, str]:
    if stats is None:
        return "–", "–"
    return f"{stats['median']:.3f} s", f"{stats['min']:.3f}–{stats['max']:.3f}"


def megabytes(stats: dict[str, object] | None) -> str:
    return "–" if stats is None or "peak_mb" not in stats else f"{stats['peak_mb']:.0f} MB"


def ratio_verdict(scenario: str, size: int | None, ratio: float | None) -> str:
    if ratio is None or size != TARGET_DOCS or scenario not in RATIOS:
        return "–"
    wanted = RATIOS[scenario]
    return f"≥ {wanted:.0f}×: {'pass' if ratio >= wanted else '**FAIL**'}"


def verdict(scenario: str, size: int | None, median: float) -> str:
    if size not in (None, TARGET_DOCS):
        return "–"
    limit = TARGETS[scenario]
    return f"≤ {limit:.2f} s: {'pass' if median <= limit else '**FAIL**'}"


def table_row(size: int | None, scenario: str, cell: dict[str, dict[str, object]]) -> str:
    loom, ent = cell["litloom"], cell.get("entangled")
    dialect = cell.get("litloom-as-entangled")
    value = ent["median"] / loom["median"] if ent else None
    ratio = f"{value:.1f}×" if value else "–"
    target = verdict(scenario, size, loom["median"])
    docs = f"{size:,}" if size else "–"
    same = f"{dialect['median'] / loom['median']:.2f}×" if dialect else "–"
    return " | ".join(["", docs, SCENARIOS[scenario], *seconds(loom), megabytes(loom),
                       seconds(dialect)[0], same, *seconds(ent), megabytes(ent),
                       ratio, ratio_verdict(scenario, size, value), target, ""]).strip()


def markdown_table(results: dict[str, object]) -> str:
    lines = [
        "| docs | scenario | litloom median | litloom min–max | litloom peak "
        "| litloom on entangled.toml | that / native | entangled median "
        "| entangled min–max | entangled peak | entangled / litloom "
        "| ratio target (1,000 docs) | litloom target (1,000 docs) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for size, cells in results["sizes"].items():
        lines += [table_row(int(size), s, cell) for s, cell in cells.items()]
    lines.append(table_row(None, "version", results["version"]))
    return "\n".join(lines)


def report(results: dict[str, object], command: str) -> str:
    meta = results["meta"]
    peak = max((cell["litloom"]["peak_mb"] for name, cells in results["sizes"].items()
                if int(name) == TARGET_DOCS for cell in cells.values()), default=None)
    memory = ("" if peak is None else f"Peak memory of litloom's tangles of 1,000 documents: "
              f"{peak:.0f} MB (target ≤ {MEMORY_MB:.0f} MB: "
              f"{'pass' if peak <= MEMORY_MB else '**FAIL**'}).")
    return "\n".join([
        START, "# `loom tangle` wall-time benchmark", "",
        f"Command: `{command}`  ",
        f"Machine: {meta['cores']} cores, {meta['platform']}; load average (1 min) "
        f"{meta['load_before']:.2f} before, {meta['load_after']:.2f} after  ",
        f"litloom: {meta['litloom']} at {meta['commit']} (Python {meta['python']})  ",
        f"Entangled: {meta['entangled'] or 'not run'} ({meta['entangled_python']})  ",
        f"Runs: median of {meta['runs']} after one warm-up run; whole process, wall time; "
        f"bytecode cache {'on' if meta['bytecode_cache'] else 'off'}.", "",
        markdown_table(results), "", memory, END,
    ])


def litloom_commit() -> str:
    """The commit of this checkout, with `+dirty` if tangled_src differs from it."""
    head = run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]).stdout.strip()
    dirty = run(["git", "-C", str(REPO), "status", "--porcelain", "--", "tangled_src"]).stdout
    return (head or "unknown") + ("+dirty" if dirty.strip() else "")


def tool_version(exe: str) -> str:
    proc = run([exe, "--version"])
    return (proc.stdout or proc.stderr).strip().splitlines()[-1]


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per cell (default 5)")
    parser.add_argument("--sizes", default="200,1000", help="corpus sizes (default 200,1000)")
    parser.add_argument("--no-entangled", action="store_true", help="benchmark litloom alone")
    parser.add_argument("--loom", help="the loom executable (default: beside this Python)")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run both tools with PYTHONDONTWRITEBYTECODE=1 and no private cache")
    parser.add_argument("--entangled-python",
                        help=f"Python >= 3.13 for build/bench-venv (entangled-cli "
                             f"{ENTANGLED_VERSION}); default: searched for")
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace) -> dict[str, object]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    env = child_env(not args.no_bytecode_cache)
    tools = [litloom_tool(find_loom(args.loom), env), litloom_tool(find_loom(args.loom), env,
                                                                   "entangled")]
    entangled = None if args.no_entangled else ensure_entangled(args.entangled_python)
    if entangled:
        tools.append(entangled_tool(entangled, env))
    meta = {"cores": os.cpu_count(), "platform": platform.platform(), "runs": args.runs,
            "bytecode_cache": not args.no_bytecode_cache,
            "python": platform.python_version(), "litloom": tool_version(tools[0].exe),
            "commit": litloom_commit(), "load_before": os.getloadavg()[0],
            "entangled": tool_version(entangled) if entangled else None,
            "entangled_python": tool_version(str(VENV / "bin" / "python")) if entangled else None}
    print(f"{meta['litloom']}; {meta['entangled'] or 'Entangled not run'}", file=sys.stderr)
    sizes = {}
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"corpus of {size} documents", file=sys.stderr)
        sizes[str(size)] = bench_size(tools, size, args.runs)
    version = {t.name: measure(args.runs, lambda i: None, lambda t=t: t.version(BENCH_DIR))
               for t in tools if not t.dialect}
    meta["load_after"] = os.getloadavg()[0]
    return {"meta": meta, "sizes": sizes, "version": version}


def write_section(text: str) -> None:
    """Put `text` between the bench_tangle markers of results.md, keeping the rest."""
    put_section(RESULTS_MD, text, START, END)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        results = benchmark(args)
    except BenchError as error:
        print(f"bench_tangle: {error}", file=sys.stderr)
        return 1
    command = " ".join(["python benchmarks/bench_tangle.py", *argv])
    text = report(results, command)
    print(text)
    write_section(text)
    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS_MD.relative_to(REPO)} and {RESULTS_JSON.relative_to(REPO)}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
