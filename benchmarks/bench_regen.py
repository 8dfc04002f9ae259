"""`loom regen`'s plan and estimate for 1,000 generated chunks, with no call.

    PYTHONPATH=tangled_src .venv/bin/python benchmarks/bench_regen.py [--chunks 1000] [--runs 5]

Writes a project of 50 chapters of 20 generated chunks each (each chunk references a helper
chunk, imports the module before it, and has a test chunk) into build/bench/regen/, opens it,
and times `make_plan` (selection of the stale chunks, dependency order, context assembly within
the budget, o200k token counts and genai-prices' cost) with no lock, so every chunk is planned.
The tangle, done once when the project is opened, is timed apart; the o200k encoder is loaded
before timing. The issue's bound: <= 1 s for 1,000 chunks. Prints the median over --runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from litloom.project import open_project
from litloom.regen.context import Book
from litloom.regen.plan import make_plan
from litloom.regen.settings import RegenSettings
from litloom.regen.tokens import count_tokens

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "build" / "bench" / "regen"


def write_project(chunks: int) -> Path:
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "literate").mkdir(parents=True)
    (WORK / "pyproject.toml").write_text('[project]\nname = "bench"\n\n[tool.litloom]\n')
    per = 20
    for doc in range(chunks // per):
        parts = [f"# Chapter {doc}\n"]
        for i in range(per):
            n = doc * per + i
            before = f"from pkg.m{n - 1} import f{n - 1}\n" if n else ""
            parts.append(
                f"\n## Function {n}\n\n`f{n}(x)` returns x plus {n}, using helper {n}.\n\n"
                f"```python {{file=pkg/m{n}.py .generate}}\n{before}<<helper-{n}>>\n\n"
                f"def f{n}(x: int) -> int:\n    return helper_{n}(x) + {n}\n```\n\n"
                f"```python {{#helper-{n}}}\ndef helper_{n}(x):\n    return x\n```\n\n"
                f"```python {{.test}}\nfrom pkg.m{n} import f{n}\n\nassert f{n}(1) == {n + 1}\n```\n"
            )
        (WORK / "literate" / f"c{doc:03}.md").write_text("".join(parts))
    return WORK


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = write_project(args.chunks)
    settings = RegenSettings(model="openai:gpt-4o-2024-08-06")
    count_tokens("warm up the encoder")
    times, tangle = [], 0.0
    for _ in range(args.runs):
        project = open_project(root, use_traces=False)
        start = time.perf_counter()
        _ = project.tangled
        tangle = time.perf_counter() - start
        start = time.perf_counter()
        plan = make_plan(project, settings, Book(project, settings.deny), {})
        times.append(time.perf_counter() - start)
    print(f"tangle in memory: {tangle:.3f} s (once per project)")
    print(
        f"plan + estimate of {len(plan.steps)} chunks, {plan.prompt_tokens} prompt tokens, "
        f"${plan.usd:.2f}: median {statistics.median(times):.3f} s over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
