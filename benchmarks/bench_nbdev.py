"""nbdev projects: `loom tangle` against `nbdev-export`, and litloom's pytest plugin against
`nbdev-test`, on the same notebooks.

    .venv/bin/python benchmarks/bench_nbdev.py [--runs 5] [--notebooks 50] [--no-nbdev]

Whole-process wall times, medians over --runs runs, after one warm-up run:

- nbdev's own notebooks (tests/data/nbdev: 33 notebooks, 19 modules): `loom tangle` cold (state
  and modules deleted) and no-op, against `nbdev-export` (which always writes every module);
- a generated project of --notebooks notebooks, each with 10 exported functions and 10 test
  cells: `loom tangle` cold against `nbdev-export`, and `pytest` (litloom's plugin, one
  process) against `nbdev-test` (its default: one worker per core).

nbdev (pinned below) is installed from the package index into build/bench-nbdev on first use.
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

import nbformat

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORK = REPO / "build" / "bench" / "nbdev"
VENV = REPO / "build" / "bench-nbdev"
NBDEV_VERSION = "3.3.26"


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None,
          before: list[str] = ()) -> float:
    for path in before:
        target = cwd / path
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    start = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{run.stdout}\n{run.stderr}")
    return elapsed


def median(runs: int, *args, **kwargs) -> float:
    timed(*args, **kwargs)  # warm-up
    return statistics.median(timed(*args, **kwargs) for _ in range(runs))


def nbdev_bin() -> Path:
    exe = VENV / "bin" / "nbdev-export"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", f"nbdev=={NBDEV_VERSION}"],
                       check=True)
    return VENV / "bin"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notebooks", type=int, default=50)
    parser.add_argument("--no-nbdev", action="store_true", help="measure litloom alone")
    args = parser.parse_args()
    loom = [str(BIN / "loom"), "tangle"]
    state = [".litloom", ".litloom-manifest"]
    rows: list[tuple[str, float, float | None]] = []
    nbdev = None if args.no_nbdev else nbdev_bin()

    own = WORK / "own"
    shutil.rmtree(own, ignore_errors=True)
    shutil.copytree(REPO / "tests" / "data" / "nbdev", own, ignore=shutil.ignore_patterns("*.py"))
    modules = [f"nbdev/{p.name}" for p in (REPO / "tests/data/nbdev/nbdev").glob("*.py")]
    cold = median(args.runs, loom, own, before=[*state, *modules])
    noop = median(args.runs, loom, own)
    export = None
    if nbdev:
        shutil.rmtree(own / ".litloom", ignore_errors=True)
        export = median(args.runs, [str(nbdev / "nbdev-export")], own)
    rows += [("nbdev's notebooks (33): cold tangle vs nbdev-export", cold, export),
             ("nbdev's notebooks (33): no-op tangle vs nbdev-export", noop, export)]

    gen = WORK / "generated"
    generate(gen, args.notebooks)
    cold = median(args.runs, loom, gen, before=[*state, *(f"gen/mod{n}.py"
                                                          for n in range(args.notebooks))])
    export = median(args.runs, [str(nbdev / "nbdev-export")], gen) if nbdev else None
    rows.append((f"{args.notebooks} generated notebooks: cold tangle vs nbdev-export",
                 cold, export))
    subprocess.run(loom, cwd=gen, check=True, capture_output=True)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    tests = median(max(args.runs // 2, 1), pytest, gen)
    nbtest = None
    if nbdev:
        env = {**os.environ, "PYTHONPATH": str(gen)}
        nbtest = median(max(args.runs // 2, 1), [str(nbdev / "nbdev-test")], gen, env=env)
    rows.append((f"{args.notebooks} generated notebooks ({args.notebooks * 10} test cells): "
                 "pytest with litloom vs nbdev-test", tests, nbtest))

    print(f"nbdev {NBDEV_VERSION if nbdev else '(not measured)'}; medians of {args.runs} "
          "runs, whole process, wall time\n")
    print("| measure | litloom | nbdev | nbdev / litloom |\n|---|---:|---:|---:|")
    for name, ours, theirs in rows:
        ratio = f"{theirs / ours:.1f}×" if theirs else "–"
        shown = f"{theirs:.3f} s" if theirs else "–"
        print(f"| {name} | {ours:.3f} s | {shown} | {ratio} |")


if __name__ == "__main__":
    main()
