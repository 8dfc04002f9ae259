"""`loom stats` runtime measures (issue 15): Prometheus endpoints and files, sustained CPU, p95
latency against objectives, concurrent users, kept samples, and unreachable or malformed sources.
Every endpoint is a real prometheus_client HTTP server on 127.0.0.1, started by the test."""

from __future__ import annotations

import json
import os
import socket
import time

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from conftest import Project, Synthetic, chunk
from litloom.project import open_project
from litloom.stats.report import measure
from litloom.stats.runtime import recorded_runtime

CODE = "# Ingest\n\n" + chunk(" {.python file=app/ingest.py}", "def ingest():", "    return 1")
RECORD = "build/litloom/runtime.json"
START = int(time.time()) - 3600  # the synthetic series' first timestamp


def configure(project: Project, metrics: list[str], extra: str = "") -> None:
    base = project.read("pyproject.toml").split("\n[tool.litloom.triggers]")[0]
    listed = json.dumps(metrics)
    text = f"{base}\n[tool.litloom.triggers]\nmetrics = {listed}\n{extra}"
    project.write({"pyproject.toml": text})


def stats(project: Project, *args: str) -> dict:
    run = project.loom("stats", "--json", *args)
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)


def fired(data: dict, trigger: str) -> list[dict]:
    return [f for f in data["findings"] if f["trigger"] == trigger]


def cpu(seconds: float, at: int, cell: str = "ingest") -> CounterMetricFamily:
    family = CounterMetricFamily("process_cpu_seconds", "CPU seconds", labels=["cell"])
    family.add_metric([cell], seconds, timestamp=at)
    return family


def test_cpu_fires_once_sustained_above_its_threshold_over_the_window(
    project: Project, server: tuple[Synthetic, str]
) -> None:
    synthetic, url = server
    project.write({"literate/ingest.md": CODE})
    configure(project, [url])
    for minute in (0, 5, 10):  # 240 CPU seconds per 300 s: 80% of one core
        synthetic.families = [cpu(240 * minute / 5, START + 60 * minute)]
        data = stats(project)
    [measure_] = data["runtime"]["cpu"]
    assert measure_["sustained_percent"] is None and measure_["covered_minutes"] == 10
    assert fired(data, "cpu") == []
    assert "10.0 of 15 min sampled, window not covered yet" in project.loom("stats").stdout
    synthetic.families = [cpu(240 * 3, START + 60 * 15)]
    data = stats(project)
    [measure_] = data["runtime"]["cpu"]
    assert measure_["sustained_percent"] == 80.0 and measure_["covered_minutes"] == 15
    [finding] = fired(data, "cpu")
    assert finding["cell"] == "ingest"
    assert finding["threshold"] == "75% for 15 min"
    assert "promote the bus transport of cell `ingest` to NATS" in finding["step"]
    metrics_line = project.read("pyproject.toml").splitlines().index(f'metrics = ["{url}"]') + 1
    assert finding["where"] == f"pyproject.toml:{metrics_line}"
    configure(project, [url], "cpu_percent = 80\n")
    assert fired(stats(project), "cpu") == []  # at the threshold: not above it
    configure(project, [url], "cpu_percent = 79.9\n")
    run = project.loom("stats", "--check")
    assert run.exit_code == 1
    assert "cpu: cell `ingest` sustained 80% CPU for 15 min" in run.stdout


def test_one_interval_below_the_threshold_is_not_sustained(
    project: Project, server: tuple[Synthetic, str]
) -> None:
    synthetic, url = server
    project.write({"literate/ingest.md": CODE})
    configure(project, [url])
    for minute, seconds in [(0, 0), (5, 240), (10, 330), (15, 570)]:  # 80%, 30%, 80%
        synthetic.families = [cpu(seconds, START + 60 * minute)]
        data = stats(project)
    assert data["runtime"]["cpu"][0]["sustained_percent"] == 30.0
    assert data["runtime"]["cpu"][0]["latest_percent"] == 80.0
    assert fired(data, "cpu") == []


def latency(counts_of: dict[str, list[float]], at: int = START) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "http_request_duration_seconds", "latency", labels=["cell", "handler"]
    )
    for handler, counts in counts_of.items():
        buckets = list(zip(["0.1", "0.25", "0.5", "+Inf"], counts, strict=True))
        family.add_metric(["search", handler], buckets, 20.0, timestamp=at)
    return family


def test_p95_from_histogram_buckets_against_each_objective(
    project: Project, server: tuple[Synthetic, str]
) -> None:
    synthetic, url = server
    project.write({"literate/ingest.md": CODE})
    # /search: rank 95 of 100 falls in (0.25, 0.5]: 0.25 + 0.25 * (95 - 90) / 10 = 375 ms
    synthetic.families = [latency({"/search": [50, 90, 100, 100], "/health": [100] * 4})]
    configure(project, [url], 'p95_ms = { "/search" = 375, "/health" = 50 }\n')
    data = stats(project)
    by = {(x["cell"], x["objective"]): x for x in data["runtime"]["latency"]}
    assert by[("search", "/search")]["p95_ms"] == 375.0
    assert by[("search", "/search")]["requests"] == 100
    assert by[("search", "/health")]["p95_ms"] == 95.0
    assert ["/health" in f["measured"] for f in fired(data, "p95")] == [True]  # 95 ms > 50
    configure(project, [url], 'p95_ms = { "/search" = 374.9 }\n')
    [finding] = fired(stats(project), "p95")
    assert finding["cell"] == "search" and finding["threshold"] == "374.9 ms"
    assert "objective `/search` in cell `search` off the request path" in finding["step"]
    configure(project, [url], "p95_ms = 200\n")  # one objective over all requests
    [one] = stats(project)["runtime"]["latency"]
    assert one["objective"] == "all requests"
    assert one["requests"] == 200 and one["p95_ms"] == 250.0  # rank 190: the top of 0.25
    # a later sample: the p95 of the requests since the first, 100 of them above 0.25 s
    synthetic.families = [latency({"/search": [50, 90, 110, 200]}, START + 60)]
    configure(project, [url], 'p95_ms = { "/search" = 375 }\n')
    [one] = stats(project)["runtime"]["latency"]
    assert one["requests"] == 100 and one["p95_ms"] == 500.0  # in +Inf: the highest bound
    synthetic.families = [latency({"/search": [50, 90, 110, 200]}, START + 60 * 20)]
    run = project.loom("stats")  # none in the 15 minutes since the sample at START + 60
    assert "p95 cell `search` objective `/search`: no requests, 0 requests" in run.stdout


def test_concurrent_users_sum_per_cell_and_fire_above_the_threshold(
    project: Project, server: tuple[Synthetic, str]
) -> None:
    synthetic, url = server
    project.write({"literate/ingest.md": CODE})
    family = GaugeMetricFamily("active_users", "users", labels=["cell", "instance"])
    family.add_metric(["api", "a"], 100)
    family.add_metric(["api", "b"], 50)
    plain = GaugeMetricFamily("active_users", "users")
    synthetic.families = [family]
    configure(project, [url])
    data = stats(project)
    assert data["runtime"]["users"] == [{"cell": "api", "users": 150.0, "series": 2}]
    assert fired(data, "users") == []  # 150 is the threshold
    configure(project, [url], "users = 149\n")
    [finding] = fired(stats(project), "users")
    assert finding["step"].startswith("run cell `api` as 2 replicas behind a load balancer")
    plain.add_metric([], 400)
    synthetic.families = [plain]  # no cell label: the project as a whole
    run = project.loom("stats")
    assert "users: the project serves 400 concurrent users (threshold 149)" in run.stdout
    assert "run the project as 3 replicas" in run.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_and_malformed_sources_are_located_warnings(project: Project) -> None:
    project.write({"literate/ingest.md": CODE, "ops/bad.prom": "<html><body>no</body></html>\n"})
    dead = f"http://127.0.0.1:{free_port()}/metrics"
    sources = [dead, "ops/bad.prom", "ops/missing.prom"]
    listed = ",\n".join(f'  "{s}"' for s in sources)
    base = project.read("pyproject.toml")
    project.write(
        {"pyproject.toml": f"{base}\n[tool.litloom.triggers]\nmetrics = [\n{listed}\n]\n"}
    )
    lines = project.read("pyproject.toml").splitlines()
    line = {s: lines.index(f'  "{s}",' if s != sources[-1] else f'  "{s}"') + 1 for s in sources}
    run = project.loom("stats")
    assert run.exit_code == 0
    assert f"pyproject.toml:{line[dead]}: metrics source '{dead}': cannot read it:" in run.stderr
    assert (
        f"pyproject.toml:{line['ops/bad.prom']}: metrics source 'ops/bad.prom': is not a "
        "Prometheus text exposition" in run.stderr
    )
    assert (
        f"pyproject.toml:{line['ops/missing.prom']}: metrics source 'ops/missing.prom': "
        "cannot read it: No such file or directory" in run.stderr
    )
    assert "cell app" in run.stdout and "total" in run.stdout  # the static measures stand
    assert "runtime: 0 of 3 metrics sources read, no samples kept yet" in run.stdout
    os.remove(project.root / RECORD)
    before = project.snapshot()
    strict = project.loom("--strict", "stats")
    assert strict.exit_code == 2
    assert f"metrics source '{dead}'" in strict.stderr
    assert project.snapshot() == before  # nothing kept


def test_a_source_leaving_the_project_is_a_located_error(project: Project) -> None:
    project.write({"literate/ingest.md": CODE})
    configure(project, ["../outside.prom"])
    before = project.snapshot()
    run = project.loom("stats")
    assert run.exit_code == 2
    line = project.read("pyproject.toml").splitlines().index('metrics = ["../outside.prom"]') + 1
    assert (
        f"pyproject.toml:{line}: [tool.litloom.triggers] metrics source '../outside.prom' must "
        "be an http(s) endpoint or a file inside the project"
    ) in run.stderr
    assert project.snapshot() == before


def test_a_symbolic_link_leading_out_is_refused(project: Project, tmp_path) -> None:
    outside = tmp_path / "secret.prom"
    outside.write_text("active_users 1\n")
    project.write({"literate/ingest.md": CODE})
    (project.root / "ops").mkdir()
    (project.root / "ops" / "link.prom").symlink_to(outside)
    configure(project, ["ops/link.prom"])
    run = project.loom("stats")
    assert "metrics source 'ops/link.prom': cannot read it: it leads outside the project" in (
        run.stderr
    )


def test_wrong_runtime_settings_are_located_errors(project: Project) -> None:
    project.write({"literate/ingest.md": CODE})
    configure(project, ["ops/m.prom"], 'p95_ms = "fast"\nusers_metric = "two words"\n')
    before = project.snapshot()
    run = project.loom("stats")
    assert run.exit_code == 2
    assert "[tool.litloom.triggers] 'p95_ms' must be milliseconds or a table" in run.stderr
    assert "'users_metric' must be a Prometheus name" in run.stderr
    assert project.snapshot() == before


def test_a_file_source_is_stamped_with_its_modification_time(project: Project) -> None:
    project.write({"literate/ingest.md": CODE, "ops/m.prom": "cpu_busy_ratio 0.9\n"})
    os.utime(project.root / "ops/m.prom", (START, START))
    configure(project, ["ops/m.prom"], 'cpu_metric = "cpu_busy_ratio"\ncpu_window_minutes = 5\n')
    stats(project)
    stats(project)  # the same file again: the same sample, not a second one
    [row] = json.loads(project.read(RECORD))["series"]
    assert row[3] == [[START, 0.9]]
    os.utime(project.root / "ops/m.prom", (START + 300, START + 300))
    data = stats(project)
    [one] = data["runtime"]["cpu"]
    assert one["sustained_percent"] == 90.0  # a ratio, held for the whole 5 minutes
    assert [f["cell"] for f in fired(data, "cpu")] == ["(project)"]


def test_kept_samples_are_pruned_to_the_window(
    project: Project, server: tuple[Synthetic, str]
) -> None:
    synthetic, url = server
    project.write({"literate/ingest.md": CODE})
    configure(project, [url], "cpu_window_minutes = 10\n")
    for minute in range(0, 40, 5):
        synthetic.families = [cpu(60 * minute, START + 60 * minute)]
        stats(project)
    [row] = json.loads(project.read(RECORD))["series"]
    assert [t for t, _ in row[3]] == [START + 60 * m for m in (20, 25, 30, 35)]
    configure(project, ["ops/other.prom"])  # a source no longer listed: its series go
    project.write({"ops/other.prom": "active_users 3\n"})
    stats(project)
    assert [r[0] for r in json.loads(project.read(RECORD))["series"]] == ["ops/other.prom"]


def test_recorded_runtime_reads_the_kept_samples_without_the_network(
    project: Project, server: tuple[Synthetic, str]
) -> None:
    synthetic, url = server
    project.write({"literate/ingest.md": CODE})
    configure(project, [url], "cpu_window_minutes = 5\n")
    for minute in (0, 5):
        synthetic.families = [cpu(270 * minute / 5, START + 60 * minute)]
        stats(project)
    synthetic.families = []  # the server says nothing now: only the kept samples remain
    before = project.snapshot()
    runtime = recorded_runtime(open_project(project.root))
    assert runtime is not None
    [one] = runtime.cpu
    assert one.sustained == 90.0 and one.cell == "ingest"
    assert [f.trigger for f in runtime.findings] == ["cpu"]
    site = measure(open_project(project.root), live=False)
    assert site.runtime is not None and [f.trigger for f in site.findings] == ["cpu"]
    assert project.snapshot() == before


def test_github_annotations_carry_runtime_findings(
    project: Project, server: tuple[Synthetic, str]
) -> None:
    synthetic, url = server
    project.write({"literate/ingest.md": CODE})
    family = GaugeMetricFamily("active_users", "users", labels=["cell"])
    family.add_metric(["ingest"], 151)
    synthetic.families = [family]
    base = project.read("pyproject.toml")
    project.write(
        {
            "pyproject.toml": base
            + '\n[tool.litloom.cells]\ningest = { modules = ["app/**"] }\n'
            + f'\n[tool.litloom.triggers]\nmetrics = ["{url}"]\n'
        }
    )
    run = project.loom("stats", "--format", "github")
    cell_line = (
        project.read("pyproject.toml").splitlines().index('ingest = { modules = ["app/**"] }')
    )
    assert run.stdout == (
        f"::warning file=pyproject.toml,line={cell_line + 1},title=loom stats users::"
        "cell `ingest` serves 151 concurrent users (threshold 150): run cell `ingest` as 2 "
        "replicas behind a load balancer, with its sessions in a shared store\n"
    )


def test_no_metrics_no_runtime_and_nothing_written(project: Project) -> None:
    project.write({"literate/ingest.md": CODE})
    before = project.snapshot()
    assert stats(project)["runtime"] is None
    assert "runtime:" not in project.loom("stats").stdout
    after = project.snapshot()
    after.pop("build/litloom/tokens.marshal")  # the token counts' cache (stats/counts.md)
    assert after == before and not (project.root / RECORD).exists()


def test_nan_samples_are_skipped_and_the_json_stays_valid(project: Project) -> None:
    text = "active_users NaN\nprocess_cpu_seconds_total 3\n"
    project.write({"literate/ingest.md": CODE, "ops/m.prom": text})
    configure(project, ["ops/m.prom"])
    data = stats(project)
    assert data["runtime"]["users"] == []
    assert "NaN" not in project.read(RECORD)
