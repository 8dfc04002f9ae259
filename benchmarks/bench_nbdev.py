"""nbdev projects: `loom tangle` against `nbdev-export`, and litloom's pytest plugin against
`nbdev-test`, on the same notebooks, in the same run.

    python benchmarks/bench_nbdev.py [--runs 5] [--notebooks 50] [--no-nbdev]
                                     [--nbdev-venv build/bench-nbdev] [--no-write]

Every figure is a whole process: its wall time and its CPU time (user and system, its children
included, from wait4), the median of --runs runs after one untimed warm-up. litloom is this
checkout's package (`python -m litloom` with tangled_src first on the path), its bytecode in a
private cache the warm-up fills (build/bench/pycache); nbdev is the pinned release installed
from the package index into --nbdev-venv on first use (pip compiles its bytecode).

- nbdev's own notebooks (tests/data/nbdev: 33 notebooks, 19 modules): `loom tangle` cold
  (litloom's state and the modules deleted before each run) and no-op, against `nbdev-export`
  (which always writes every module);
- a generated project of --notebooks notebooks, each with 10 exported functions and 10 test
  cells: `loom tangle` cold against `nbdev-export`; `pytest` (litloom's plugin; notebook
  sessions in parallel, the default, and in one process) against `nbdev-test` (its default:
  one worker per core).

The issue's targets: cold >= 3x and no-op >= 10x faster than nbdev-export; the test cells
faster than nbdev-test on the same cores. The table goes into benchmarks/results.md between
the bench_nbdev markers.
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

import nbformat
from sections import put_section

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "build" / "bench" / "nbdev"
PYCACHE = REPO / "build" / "bench" / "pycache"
RESULTS_MD = REPO / "benchmarks" / "results.md"
START, END = "<!-- bench_nbdev -->", "<!-- /bench_nbdev -->"
NBDEV_VERSION = "3.3.26"


def loom_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tangled_src"), env.get("PYTHONPATH", "")])
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None,
          before: list[str] = ()) -> tuple[float, float]:
    """(wall s, CPU s) of one process, after deleting `before` (not timed)."""
    for path in before:
        target = cwd / path
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            out.seek(0)
            said = out.read().decode("utf-8", "replace")[-3000:]
            raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{said}")
    return wall, usage.ru_utime + usage.ru_stime


def median(runs: int, *args, **kwargs) -> tuple[float, float]:
    timed(*args, **kwargs)  # warm-up
    done = [timed(*args, **kwargs) for _ in range(runs)]
    return statistics.median(w for w, _ in done), statistics.median(c for _, c in done)


def nbdev_bin(venv: Path) -> Path:
    exe = venv / "bin" / "nbdev-export"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"nbdev=={NBDEV_VERSION}"],
                       check=True)
    return venv / "bin"


def generate(root: Path, count: int) -> None:
    """A project of `count` notebooks: 10 exported functions and 10 test cells each."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "nbs").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "gen"\n\n[tool.nbdev]\n\n[tool.pytest.ini_options]\n')
    for n in range(count):
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                           "display_name": "Python 3"}
        cells = [nbformat.v4.new_markdown_cell(f"# Module {n}\n\n> Functions of module {n}"),
                 nbformat.v4.new_code_cell(f"#| default_exp mod{n}"),
                 nbformat.v4.new_code_cell("#| export\nimport math")]
        for k in range(10):
            cells.append(nbformat.v4.new_code_cell(
                f"#| export\ndef f{k}(x):\n    \"Scale by {k}\"\n    return math.floor(x * {k})"))
            cells.append(nbformat.v4.new_code_cell(f"assert f{k}(2) == {2 * k}"))
        notebook.cells = cells
        nbformat.write(notebook, root / "nbs" / f"{n:02d}_mod{n}.ipynb")
    (root / "gen").mkdir()
    (root / "gen" / "__init__.py").write_text("")


def measure(args: argparse.Namespace) -> list[tuple[str, tuple, tuple | None, str]]:
    env = loom_env()
    loom = [sys.executable, "-m", "litloom", "tangle"]
    state = [".litloom", ".litloom-manifest"]
    nbdev = None if args.no_nbdev else nbdev_bin(Path(args.nbdev_venv))
    rows = []

    own = WORK / "own"
    shutil.rmtree(own, ignore_errors=True)
    shutil.copytree(REPO / "tests" / "data" / "nbdev", own, ignore=shutil.ignore_patterns("*.py"))
    modules = [f"nbdev/{p.name}" for p in (REPO / "tests/data/nbdev/nbdev").glob("*.py")]
    export = None
    if nbdev:
        export = median(args.runs, [str(nbdev / "nbdev-export")], own)
    cold = median(args.runs, loom, own, env=env, before=[*state, *modules])
    noop = median(args.runs, loom, own, env=env)
    rows += [("nbdev's 33 notebooks: cold `loom tangle` vs `nbdev-export`", cold, export, ">= 3x"),
             ("the same, no-op `loom tangle`", noop, export, ">= 10x")]

    gen = WORK / "generated"
    generate(gen, args.notebooks)
    export = median(args.runs, [str(nbdev / "nbdev-export")], gen) if nbdev else None
    outputs = [f"gen/mod{n}.py" for n in range(args.notebooks)]
    cold = median(args.runs, loom, gen, env=env, before=[*state, *outputs])
    rows.append((f"{args.notebooks} generated notebooks: cold", cold, export, ""))
    subprocess.run(loom, cwd=gen, env=env, check=True, capture_output=True)
    cells = args.notebooks * 10
    nbtest = None
    if nbdev:
        nbtest = median(args.runs, [str(nbdev / "nbdev-test")], gen,
                        env={**os.environ, "PYTHONPATH": str(gen)})
    # litloom's development environment also holds hypothesis, whose pytest plugin imports
    # hypothesis at the end of every session (about 0.3 s); a project of notebooks does not
    # have it, and nbdev-test runs in its own environment without it: it is turned off here.
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
              "-p", "no:hypothesispytest"]
    tests = median(args.runs, pytest, gen, env=env)
    one = median(args.runs, [*pytest, "-o", "litloom_session_workers=1"], gen, env=env)
    rows += [(f"their {cells} test cells: `pytest` (sessions in parallel, the default) vs "
              "`nbdev-test`", tests, nbtest, "> 1x"),
             ("the same, `pytest` in one process (`litloom_session_workers = 1`)", one, nbtest,
              "")]
    return rows


def table(rows: list, args: argparse.Namespace, load: tuple[float, float], nbdev: bool) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()
    lines = [
        START,
        "# nbdev projects: `loom tangle` vs `nbdev-export`, `pytest` vs `nbdev-test`",
        "",
        f"Command: `python benchmarks/bench_nbdev.py --runs {args.runs} --notebooks "
        f"{args.notebooks}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average (1 min) "
        f"{load[0]:.2f} before, {load[1]:.2f} after  ",
        f"litloom at {commit} (Python {platform.python_version()}); nbdev "
        f"{NBDEV_VERSION if nbdev else '(not measured)'}  ",
        f"Medians of {args.runs} runs after one warm-up; whole processes; wall time (CPU time, "
        "user and system with children, which other processes on the machine disturb less).",
        "",
        "| measure | litloom | nbdev | nbdev / litloom (wall) | target |",
        "|---|---:|---:|---:|---|",
    ]
    for name, ours, theirs, target in rows:
        shown = f"{theirs[0]:.3f} s ({theirs[1]:.3f} s)" if theirs else "–"
        ratio = f"{theirs[0] / ours[0]:.1f}×" if theirs else "–"
        lines.append(f"| {name} | {ours[0]:.3f} s ({ours[1]:.3f} s) | {shown} | {ratio} | "
                     f"{target} |")
    return "\n".join([*lines, END])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notebooks", type=int, default=50)
    parser.add_argument("--no-nbdev", action="store_true", help="measure litloom alone")
    parser.add_argument("--nbdev-venv", default=str(REPO / "build" / "bench-nbdev"),
                        help="where nbdev is (or gets) installed")
    parser.add_argument("--no-write", action="store_true", help="print; leave results.md alone")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    rows = measure(args)
    text = table(rows, args, (before, os.getloadavg()[0]), not args.no_nbdev)
    print(text)
    if not args.no_write:
        put_section(RESULTS_MD, text, START, END)
        print(f"wrote {RESULTS_MD.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
