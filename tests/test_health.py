"""The Health page (issue 15): loom stats' measures, fit and triggers in the site, its charts
on plain data, a wrong setting stopping the build, and the cache that spares a no-op build."""

from __future__ import annotations

import html
import json
import marshal
import os
import re
import subprocess

import pytest
from test_stats import CELLS, CODE, PROSE, TOOL, settings
from test_stats_runtime import RECORD, START, configure, cpu
from test_weave import MERMAID, MKDOCS

from conftest import NODE_MODULES, Project, Synthetic, loom_process
from litloom.errors import Location
from litloom.weave import mermaid
from litloom.weave.health import (
    Series,
    bar_chart,
    history_section,
    line_chart,
    runtime_section,
)

pytestmark = pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)")


@pytest.fixture
def app(project: Project) -> Project:
    project.write(
        {"literate/greet.md": PROSE + CODE, "literate/tool.md": TOOL, "mkdocs.yml": MKDOCS}
    )
    os.symlink(NODE_MODULES, project.root / "node_modules")
    return project


def weave(project: Project, *args: str) -> str:
    run = project.loom(*args, "weave")
    assert run.exit_code == 0, run.stderr
    return project.read("build/docs/health.md")


def sources(page: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(r'loom-mermaid-source">([^<]*)</pre>', page)]


def rows(page: str, section: str) -> list[str]:
    part = page.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in part.splitlines() if line.startswith("| ") and "---" not in line]


def test_the_page_shows_the_triggers_fired_and_clear(app: Project) -> None:
    settings(app, CELLS + "\n[tool.litloom.triggers]\ncontext_warn_kb = 0.1\nwindow = 40\n")
    page = weave(app)
    stats = json.loads(app.loom("stats", "--json").stdout)
    [summary] = [line for line in page.splitlines() if "fired." in line]
    assert summary == f"{len(stats['findings'])} triggers fired."
    fired, grid = rows(page, "Triggers")[1 : len(stats["findings"]) + 1], rows(page, "Triggers")
    for finding, row in zip(stats["findings"], fired, strict=True):  # as loom stats has them
        assert row.startswith(f"| {finding['trigger']} | <code>{finding['cell']}</code> |")
    trust = next(r for r in fired if r.startswith("| trust | <code>fetch</code>"))
    assert "move cell <code>fetch</code> to the sandboxed periphery" in trust
    runtime = next(r for r in fired if r.startswith("| runtime | <code>billing</code>"))
    assert "| runtime = rust | python |" in runtime
    head = next(r for r in grid if r.startswith("| Cell |"))
    assert head == (
        "| Cell | Context (warn 0.1 KB, split 2048 KB) | Window (32 tokens) | Trust "
        "| Tenants | Runtime |"
    )  # 40 tokens minus 20% headroom
    tool = next(r for r in grid if r.startswith("| <code>tool</code> |"))
    assert (
        tool == "| <code>tool</code> | 0.0 KB: clear | 0 tokens: clear | trusted: clear | "
        "single: clear | python: clear |"
    )
    billing = next(r for r in grid if r.startswith("| <code>billing</code> |"))
    assert 'KB: <strong class="loom-health-fired">warn fired</strong>' in billing
    assert "tokens: <strong" in billing and "rust: <strong" in billing
    assert "## Fit\n\nthe whole project needs " in page and "does not fit" in page
    assert "tokens over |" in rows(page, "Cells")[2]
    nav = json.loads(app.read("build/litloom/nav.json"))
    assert nav[-3] == {"Health": "health.md"}  # after the other generated pages, before the index


def test_a_context_warning_past_the_split_is_not_a_second_finding(app: Project) -> None:
    settings(app, "\n[tool.litloom.triggers]\ncontext_warn_kb = 0.01\ncontext_split_kb = 0.1\n")
    table = rows(weave(app), "Triggers")
    assert [r.split(" | ")[0] for r in table if "<code>app</code> | cell" in r] == [
        "| context-split"
    ]
    grid = next(r for r in table if r.startswith("| <code>app</code> |"))
    assert 'KB: <strong class="loom-health-fired">split fired</strong>' in grid


def test_the_cells_are_charted_and_the_chapters_listed_and_linked(app: Project) -> None:
    page = weave(app)
    [chart] = sources(page)
    assert chart.startswith("xychart-beta\n")
    assert 'x-axis ["app", "tool"]' in chart
    assert "line [500, 500]" in chart and "line [2048, 2048]" in chart
    cells = rows(page, "Cells")[1:]
    assert [c.split(" | ")[0] for c in cells] == ["| <code>app</code>", "| <code>tool</code>"]
    chapters = rows(page, "Chapters")[1:]
    assert chapters[0].startswith('| <a href="greet.html"><code>literate/greet.md</code></a> |')
    assert "## Size over history\n\nNo history yet: " in page
    assert "## Runtime\n\nNo runtime samples yet: " in page


def test_with_no_window_the_fit_says_how_to_get_one(app: Project) -> None:
    page = weave(app)
    assert "## Fit\n\nno window: set " in page
    assert "| — |" in rows(page, "Cells")[1]  # no tokens left to show


HISTORY = [
    ("a1b2c3d", {"app": 100, "tool": 20}),
    ("e4f5a6b", {"app": 180}),
    ("c7d8e9f", {"app": 250, "tool": 40, "new": 5}),
]
CPU = Series(
    "CPU utilisation of cell app", "%", [("12:00", 40.0), ("12:05", 81.5), ("12:10", 77.0)], 75.0
)


def test_the_history_is_charted_and_tabled() -> None:
    charts: list[str] = []
    lines = history_section(HISTORY, charts)
    [chart] = charts
    assert 'x-axis ["a1b2c3d", "e4f5a6b", "c7d8e9f"]' in chart
    assert "line [120, 180, 295]" in chart  # the total at each commit
    assert mermaid.block(chart) in lines
    assert "| Commit | Total | <code>app</code> | <code>new</code> | <code>tool</code> |" in lines
    assert "| <code>e4f5a6b</code> | 180 | 180 | 0 | 0 |" in lines
    assert history_section(None, charts)[2].startswith("No history yet")
    assert history_section([], []) == history_section(None, [])
    assert len(charts) == 1


def test_the_runtime_is_charted_with_its_threshold() -> None:
    charts: list[str] = []
    lines = runtime_section([CPU, Series("Users", "users", [])], charts)
    [chart] = charts  # a series without points is not charted
    assert 'title "CPU utilisation of cell app (%)"' in chart
    assert "line [40, 81.5, 77]" in chart and "line [75, 75, 75]" in chart
    assert 'y-axis "%" 0 --> 89.65' in chart  # above the highest value
    assert "### CPU utilisation of cell app" in lines
    text = html.unescape("\n".join(lines))
    assert "3 samples; last 77 %, highest 81.5 %; threshold 75 % (the flat line)." in text
    assert runtime_section([], [])[2].startswith("No runtime samples yet")
    long = Series("p95", "ms", [(str(n), float(n)) for n in range(250)])
    more: list[str] = []
    text = html.unescape("\n".join(runtime_section([long], more)))
    assert "last 100 of 250 samples" in text and "threshold none" in text
    assert more[0].count(",") == 2 * 99 and "line [150, " in more[0]  # the last 100 points


def test_given_data_the_page_has_its_charts(app: Project) -> None:
    from litloom.project import open_project
    from litloom.weave.health import read_health

    health = read_health(open_project(app.root), HISTORY, [CPU])
    assert len(health.charts) == 3  # the cells, the history, the CPU
    assert '## Size over history\n\n<div class="loom-mermaid"' in health.page
    assert "### CPU utilisation of cell app" in health.page
    assert all(mermaid.block(chart) in health.page for chart in health.charts)


HOSTILE = 'a"] --> x\nline [9'


def test_mermaid_s_parser_accepts_every_chart_hostile_labels_included() -> None:
    charts = [
        bar_chart("Context per cell (KB)", "KB", [("(no code)", 3.5), (HOSTILE, 700.0)], [500.0]),
        line_chart("Tokens", "tokens", [(HOSTILE, 1.0), ("b", 2.0)]),
        line_chart(CPU.title, CPU.unit, CPU.points, CPU.threshold),
        line_chart("100%% sure", "%%%{init}%%", [("%%x", 1.0)]),
    ]
    assert '"%_init_%"' in charts[-1]  # no mermaid directive or comment
    assert '"a__ --_ x_line _9"' in charts[0]  # nothing of the label reaches mermaid's syntax
    diagrams = [(Location("pyproject.toml"), chart, ()) for chart in charts]
    checked = mermaid.check(diagrams, MERMAID, {}, execute=True)
    assert checked.unchecked == "" and checked.problems == []


def test_names_and_steps_from_the_settings_are_escaped(app: Project) -> None:
    settings(
        app,
        '\n[tool.litloom.cells]\n"<b>x|y</b>" = { modules = ["app/**"], runtime = "<script>" }\n',
    )
    page = weave(app)
    assert "<script>" not in page and "<b>" not in page
    assert "<code>&#60;b&#62;x&#124;y&#60;/b&#62;</code>" in page
    row = next(r for r in rows(page, "Triggers") if r.startswith("| runtime |"))
    assert row.count(" | ") == 4  # the pipe in the name did not make a column


BAD = '\n[tool.litloom.triggers]\ncontext_warn_kb = "lots"\n'


@pytest.mark.parametrize("command", ["weave", "build"])
def test_a_wrong_setting_is_loom_stats_error_and_nothing_is_written(
    app: Project, command: str
) -> None:
    assert app.loom("weave").exit_code == 0  # a page in the cache: it must not hide the error
    settings(app, BAD)
    stats = app.loom("stats")
    assert stats.exit_code == 2
    [message] = [line for line in stats.stderr.splitlines() if "context_warn_kb" in line]
    assert message.startswith("pyproject.toml:7: ")
    before = app.snapshot()
    run = loom_process(command, cwd=app.root)
    assert run.exit_code == 2, run.stderr
    assert message in run.stderr
    assert app.snapshot() == before


def test_an_unknown_key_warns_on_every_build_and_stops_a_strict_one(app: Project) -> None:
    settings(app, "\n[tool.litloom.triggers]\ncontext_warm_kb = 1\n")
    for _ in range(2):  # measured, then from the cache: the same warning
        run = app.loom("weave")
        assert run.exit_code == 0
        assert "pyproject.toml:7: [tool.litloom.triggers] unknown key 'context_warm_kb'" in (
            run.stderr
        )
    before = app.snapshot()
    assert app.loom("--strict", "weave").exit_code == 2
    assert app.snapshot() == before


def test_a_no_op_weave_takes_the_page_from_the_cache(app: Project) -> None:
    first = weave(app)
    cache = app.root / "build/litloom/health.marshal"
    version, key, page, charts, warnings = marshal.loads(cache.read_bytes())
    assert page == first
    cache.write_bytes(marshal.dumps([version, key, page + "\nFROM THE CACHE\n", charts, warnings]))
    assert weave(app).endswith("FROM THE CACHE\n")  # nothing measured: the page was kept
    app.write({"literate/tool.md": TOOL + "\nOne more line.\n"})
    again = weave(app)
    assert "FROM THE CACHE" not in again and again != first  # a chapter changed: measured
    settings(app, "\n[tool.litloom.triggers]\ncontext_warn_kb = 0.1\n")
    assert "fired." in weave(app).split("## Triggers", 1)[1].split("\n\n")[1]


def git(root, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_page_charts_the_history_and_a_new_commit_makes_it_again(app: Project) -> None:
    assert "No history yet" in weave(app)  # not a repository yet
    git(app.root, "init", "-q")
    git(app.root, "add", "-A")
    git(app.root, "commit", "-qm", "one")
    app.write({"literate/more.md": PROSE.replace("Greet", "More") * 20})
    git(app.root, "add", "-A")
    git(app.root, "commit", "-qm", "two")
    page = weave(app)
    history = rows(page, "Size over history")
    commits = git(app.root, "log", "--format=%h", "--reverse").split()
    assert [re.search(r"<code>(\w+)</code>", row)[1] for row in history[1:]] == commits
    assert any(s.startswith("xychart-beta") and "Tokens over history" in s for s in sources(page))
    git(app.root, "commit", "-q", "--allow-empty", "-m", "three")  # nothing changed but HEAD
    assert len(rows(weave(app), "Size over history")) == len(history) + 1


def test_the_site_draws_the_recorded_runtime_and_reads_no_network(
    app: Project, server: tuple[Synthetic, str]
) -> None:
    synthetic, url = server
    configure(app, [url], "cpu_window_minutes = 5\n")
    for minute in (0, 5):
        synthetic.families = [cpu(270 * minute / 5, START + 60 * minute)]
        assert app.loom("stats").exit_code == 0
    record = app.read(RECORD)
    calls = []
    synthetic.families = Reads(calls)  # counts every scrape from now on
    page = weave(app)
    assert calls == [] and app.read(RECORD) == record  # no read, nothing kept
    runtime = html.unescape(page.split("## Runtime\n", 1)[1].split("\n## ", 1)[0])
    assert "### CPU of cell ingest" in runtime and "No runtime samples yet" not in runtime
    assert "1 sample; last 90 %, highest 90 %; threshold 75 % (the flat line)." in runtime


class Reads(list):
    """Families that count how often the server is scraped."""

    def __init__(self, calls: list) -> None:
        super().__init__()
        self.calls = calls

    def __iter__(self):
        self.calls.append(1)
        return super().__iter__()
