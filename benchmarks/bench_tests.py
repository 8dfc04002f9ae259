"""Wall time of pytest on 1,000 trivial test chunks, next to 1,000 plain pytest functions.

    .venv/bin/python benchmarks/bench_tests.py [--runs 5] [--tests 1000]

Both projects spread their tests over 100 files (literate documents, or test modules) and do
the same work in each test. Each number is the median whole-process wall time of
`python -m pytest -q -p no:cacheprovider`, after one warm-up run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = 100
PYPROJECT = '[project]\nname = "bench"\n\n[tool.litloom]\n\n[tool.pytest.ini_options]\n'


def literate_project(root: Path, tests: int) -> None:
    (root / "literate").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT + 'testpaths = ["literate"]\n')
    for f in range(FILES):
        parts = [f"# Document {f}\n"]
        for t in range(tests // FILES):
            parts.append(f"\nTest {t} checks arithmetic.\n\n```python {{.test #t{f}-{t}}}\n"
                         f"value = {t} + 1\nassert value == {t + 1}\n```\n")
        (root / "literate" / f"doc_{f:03}.md").write_text("".join(parts))


def plain_project(root: Path, tests: int) -> None:
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "plain"\n\n[tool.pytest.ini_options]\n'
                                         'testpaths = ["tests"]\n')
    for f in range(FILES):
        body = "".join(f"\n\ndef test_t{f}_{t}():\n    value = {t} + 1\n    assert value == {t + 1}\n"
                       for t in range(tests // FILES))
        (root / "tests" / f"test_{f:03}.py").write_text(body.lstrip("\n"))


def wall(root: Path, runs: int) -> tuple[float, str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    subprocess.run(command, cwd=root, capture_output=True, check=True)  # warm-up
    times, last = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        last = result.stdout.strip().splitlines()[-1]
    return statistics.median(times), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tests", type=int, default=1000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        literate, plain = Path(temporary, "literate"), Path(temporary, "plain")
        literate_project(literate, options.tests)
        plain_project(plain, options.tests)
        lit_time, lit_summary = wall(literate, options.runs)
        plain_time, plain_summary = wall(plain, options.runs)
    n = options.tests
    print(f"| project | tests | median wall time | per test | pytest says |\n|---|---:|---:|---:|---|\n"
          f"| test chunks in {FILES} documents | {n} | {lit_time:.2f} s | "
          f"{1000 * lit_time / n:.2f} ms | {lit_summary} |\n"
          f"| plain test functions in {FILES} modules | {n} | {plain_time:.2f} s | "
          f"{1000 * plain_time / n:.2f} ms | {plain_summary} |\n\n"
          f"Overhead of a test chunk over a plain function: "
          f"{1000 * (lit_time - plain_time) / n:+.2f} ms per test "
          f"(target: 1,000 chunks collected and run in <= 3 s: "
          f"{'pass' if lit_time <= 3 else 'FAIL'}).")


if __name__ == "__main__":
    main()
