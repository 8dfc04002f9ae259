"""`loom regen`: plan, refusals, generation through pydantic-ai (offline), the gate, accepting."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic_ai import models
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.usage import RequestUsage

from litloom.errors import UserError
from litloom.project import open_project
from litloom.regen.generate import parse_response
from litloom.regen.run import regenerate
from litloom.regen.settings import regen_settings

models.ALLOW_MODEL_REQUESTS = False  # no test may reach a real provider

MODEL = "openai:gpt-4o-2024-08-06"
DOC = """# Adding

## The adder

`add(a, b)` returns the sum of a and b.

```python {file=demo/add.py .generate}
def add(a, b):
    return 0
```
"""
GOOD = "def add(a, b):\n    return a + b"
ID = "file:demo/add.py"


def settings_toml(**extra: str) -> str:
    extra = {"gate": '["loom check", "python -m compileall -q tangled_src"]', **extra}
    lines = [f'model = "{MODEL}"', *(f"{k} = {v}" for k, v in extra.items())]
    return (
        '[project]\nname = "demo"\n\n[tool.litloom]\n\n[tool.litloom.regen]\n'
        + "\n".join(lines)
        + "\n"
    )


@pytest.fixture
def demo(project):
    project.write({"pyproject.toml": settings_toml(), "literate/a.md": DOC})
    assert project.loom("tangle").exit_code == 0
    return project


def answering(text: str, tokens_in: int = 300, tokens_out: int = 20, seen: list | None = None):
    def reply(messages, info):
        if seen is not None:
            seen.append(str(messages))
        usage = RequestUsage(input_tokens=tokens_in, output_tokens=tokens_out)
        return ModelResponse(parts=[TextPart(text)], usage=usage)

    return FunctionModel(reply)


def run(root: Path, model, **options):
    project = open_project(root, use_traces=False)
    return regenerate(project, regen_settings(project.config), model=model, **options)


def outside_build(snapshot: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in snapshot.items() if not k.startswith("build/")}


def test_accepted_writes_the_chunk_the_tangle_and_the_lock(demo):
    outcome = run(demo.root, answering(json.dumps({ID: GOOD})))
    assert outcome.accepted == (ID,) and not outcome.failed
    assert "    return a + b" in demo.read("literate/a.md")
    assert "return a + b" in demo.read("tangled_src/demo/add.py")
    lock = demo.read("literate/regen.lock")
    assert 'chunk = "file:demo/add.py"' in lock and "tokens_in = 300" in lock
    assert demo.loom("gate").exit_code == 0  # what regen accepted, gate passes
    assert run(demo.root, None, dry_run=True).plan.steps == ()  # nothing stale any more
    kept = outcome.folder
    assert {"prompt.txt", "response.txt", "diff.txt", "gate.log"} <= {
        p.name for p in kept.iterdir()
    }


def test_gate_failure_changes_nothing_and_keeps_the_proposal(demo):
    before = outside_build(demo.snapshot())
    broken = "def add(a, b):\n    return (a +"
    outcome = run(demo.root, answering(json.dumps({ID: broken})))
    assert outcome.failed.startswith("gate 'python -m compileall -q tangled_src' failed (exit 1)")
    assert outside_build(demo.snapshot()) == before
    assert (outcome.folder / "gate.log").exists() and (outcome.folder / "stage").is_dir()


def test_gate_failure_exits_1_naming_the_gate(demo):
    demo.write(
        {"pyproject.toml": settings_toml(gate='["python -c \\"import sys; sys.exit(3)\\""]')}
    )
    outcome = run(demo.root, answering(json.dumps({ID: GOOD})))
    assert "python -c" in outcome.failed and "exit 3" in outcome.failed
    assert "return 0" in demo.read("literate/a.md")


def test_budget_refused_before_any_call(demo):
    demo.write({"pyproject.toml": settings_toml(budget="{ usd_per_run = 0.001 }")})
    before, calls = demo.snapshot(), []
    with pytest.raises(UserError) as error:
        run(demo.root, answering(json.dumps({ID: GOOD}), seen=calls))
    message = str(error.value)
    assert message.startswith("pyproject.toml") and "over the run budget of $0.00" in message
    assert "refused before any call" in message
    assert calls == [] and demo.snapshot() == before


def test_stopped_when_actual_usage_crosses_the_budget(demo):
    demo.write({"pyproject.toml": settings_toml(budget="{ usd_per_run = 0.05 }")})
    before = outside_build(demo.snapshot())
    outcome = run(demo.root, answering(json.dumps({ID: GOOD}), tokens_in=100_000))
    assert "failing closed" in outcome.failed and "over the run budget" in outcome.failed
    assert outside_build(demo.snapshot()) == before
    assert json.loads((outcome.folder / "usage.json").read_text())[ID]["tokens_in"] == 100_000


def test_output_limit_stops_the_call(demo):
    demo.write({"pyproject.toml": settings_toml(max_output_tokens="100")})
    outcome = run(demo.root, answering(json.dumps({ID: GOOD}), tokens_out=5000))
    assert "output_tokens_limit" in outcome.failed
    assert "return 0" in demo.read("literate/a.md")


def test_context_too_large_for_the_window(demo):
    big = "\n".join(f"word{i} " * 40 for i in range(8000))
    demo.write({"literate/a.md": DOC.replace("returns the sum of a and b.", big)})
    with pytest.raises(UserError) as error:
        run(demo.root, answering(json.dumps({ID: GOOD})))
    message = str(error.value)
    assert re.match(
        r"literate/a\.md:\d+: generated chunk file:demo/add\.py: its prompt of", message
    )
    assert "outgrown the model" in message and "window of 128000 tokens" in message


def test_response_touching_other_chunks_is_refused(demo):
    before = outside_build(demo.snapshot())
    answer = json.dumps({ID: GOOD, "other": "import os"})
    outcome = run(demo.root, answering(answer))
    assert "touches chunks it was not asked for: other" in outcome.failed
    assert outside_build(demo.snapshot()) == before


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("not json", "is not one JSON object"),
        ('["x"]', "is not a JSON object"),
        (json.dumps({ID: "x\n```\n# injected"}), "fence line"),
        (json.dumps({ID: "#| file=evil.py\nx = 1"}), "sets chunk options"),
        (json.dumps({ID: ""}), "gives no code"),
    ],
)
def test_untrusted_responses_are_refused(text, why):
    body, problems = parse_response(text, ID, "response.txt")
    assert body is None and why in problems[0].message
    assert str(problems[0]).startswith("response.txt:1: the model's response")


def test_a_fenced_json_answer_is_accepted():
    body, problems = parse_response(f"```json\n{json.dumps({ID: GOOD})}\n```", ID, "r")
    assert body == GOOD and problems == []


def test_secrets_are_kept_out_of_the_prompt(demo, monkeypatch):
    monkeypatch.setenv("LOOM_SECRET_TOKEN", "hunter2-very-secret")
    doc = DOC.replace(
        "def add(a, b):\n    return 0",
        "def add(a, b):\n    return 0\n<<helper>>",
    )
    helper = '\n```python {#helper}\nKEY = "hunter2-very-secret"\n```\n'
    env = "\n```text {file=.env}\nSECRET_ENV_VALUE=abc123\n```\n\n```python {#uses-env}\n<<helper>>\n```\n"
    demo.write({"literate/a.md": doc + helper + env})
    seen: list[str] = []
    run(demo.root, answering(json.dumps({ID: GOOD + "\n<<helper>>"}), seen=seen))
    prompt = "".join(seen)
    assert seen and "KEY = " in prompt
    assert "hunter2-very-secret" not in prompt
    assert "SECRET_ENV_VALUE" not in prompt


def test_dry_run_prints_the_plan_and_calls_nothing(demo):
    before = demo.snapshot()
    result = demo.loom("regen", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{ID}\tnew\t") and "1 chunks" in result.stdout
    assert demo.snapshot() == before


def test_an_unknown_name_is_an_error(demo):
    result = demo.loom("regen", "--dry-run", "nope")
    assert result.exit_code == 2
    assert "nope: no generated chunk or document 'nope'" in result.stderr


def test_a_spec_change_makes_the_chunk_stale(demo):
    run(demo.root, answering(json.dumps({ID: GOOD})))
    demo.write({"literate/a.md": demo.read("literate/a.md").replace("the sum", "the total")})
    steps = run(demo.root, None, dry_run=True).plan.steps
    assert [(s.id, s.why) for s in steps] == [(ID, "spec changed")]


class _OpenAI(BaseHTTPRequestHandler):
    """A canned OpenAI-compatible chat completions endpoint."""

    def do_POST(self):  # noqa: N802 - the http.server API
        asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, asked, self.headers.get("Authorization")))
        body = json.dumps(
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 1,
                "model": "gpt-4o-2024-08-06",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": json.dumps({ID: GOOD})},
                    }
                ],
                "usage": {"prompt_tokens": 321, "completion_tokens": 12, "total_tokens": 333},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_end_to_end_through_an_openai_compatible_server(demo, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAI)
    server.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-never-written")
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", True)  # only to 127.0.0.1, above
    try:
        result = demo.loom("regen")
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.stderr
    assert f"regenerated {ID}" in result.stdout
    assert "1 chunk and 1 definition touched" in result.stdout  # loom diff of the proposal
    path, asked, auth = server.requests[0]
    assert path == "/v1/chat/completions" and asked["model"] == "gpt-4o-2024-08-06"
    assert asked["temperature"] == 0  # pinned parameters
    assert 4000 in (asked.get("max_tokens"), asked.get("max_completion_tokens"))
    lock = demo.read("literate/regen.lock")
    assert "tokens_in = 321" in lock and 'model_version = "gpt-4o-2024-08-06"' in lock
    written = b"".join(demo.snapshot().values())
    assert b"sk-test-never-written" not in written  # the key is in no file, build/ included
    assert "return a + b" in demo.read("literate/a.md")


def test_month_spending_refuses(demo):
    run(demo.root, answering(json.dumps({ID: GOOD}), tokens_in=200_000))  # $0.50 or so
    demo.write({"pyproject.toml": settings_toml(budget="{ usd_per_month = 0.05 }")})
    with pytest.raises(UserError) as error:
        run(demo.root, answering(json.dumps({ID: GOOD})), every=True, now=datetime.now(UTC))
    assert "left of the month's budget" in str(error.value)


def test_a_rejected_run_changes_no_record_but_counts_against_the_month(demo):
    """Nothing in the project changes on rejection, the lock included; the money spent on
    the rejected proposal is kept under build/regen/ and the month's budget counts it."""
    first = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert run(demo.root, answering(json.dumps({ID: GOOD})), now=first).accepted == (ID,)
    demo.write({"literate/a.md": demo.read("literate/a.md").replace("sum of", "total of")})
    before = outside_build(demo.snapshot())
    broken = "def add(a, b):\n    return (a +"
    later = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
    outcome = run(demo.root, answering(json.dumps({ID: broken}), tokens_in=100_000), now=later)
    assert outcome.failed and outside_build(demo.snapshot()) == before  # the lock as it was
    spent = json.loads((outcome.folder / "spent.json").read_text())
    assert spent["time"].startswith("2026-11-04") and spent["usd"] > 0.2
    demo.write({"pyproject.toml": settings_toml(budget="{ usd_per_month = 0.2 }")})
    with pytest.raises(UserError) as error:  # the lock alone has spent far less than $0.20
        run(demo.root, answering(json.dumps({ID: GOOD})), now=later)
    assert "left of the month's budget" in str(error.value)


def test_gate_commands_run_in_the_sandbox(demo):
    """The code a model wrote runs confined: the gate sees the staging copy, not the project
    around it (nor the home, nor the network)."""
    from litloom import sandbox

    if sandbox.missing():
        pytest.skip(sandbox.missing())
    secret = demo.root / "outside.txt"
    secret.write_text("the project's own file, outside the staging copy\n")
    peek = f'python -c \\"print(open({str(secret)!r}).read())\\"'
    demo.write({"pyproject.toml": settings_toml(gate=f'["{peek}"]')})
    outcome = run(demo.root, answering(json.dumps({ID: GOOD})))
    assert outcome.failed.endswith(
        f"FileNotFoundError: [Errno 2] No such file or directory: '{secret}'"
    ), outcome.failed  # a traceback's last line
    text = demo.read("pyproject.toml").replace(
        "[tool.litloom]\n", '[tool.litloom]\nsandbox = "off"\n'
    )
    demo.write({"pyproject.toml": text})
    assert run(demo.root, answering(json.dumps({ID: GOOD}))).accepted == (ID,)


def test_an_api_break_fails_the_gate_unless_allowed(demo):
    before = outside_build(demo.snapshot())
    narrower = "def add(a):\n    return a"  # the parameter b removed: griffe's breakage
    outcome = run(demo.root, answering(json.dumps({ID: narrower})))
    assert outcome.failed.startswith("gate 'api' failed (exit 1): literate/a.md:"), outcome.failed
    assert outside_build(demo.snapshot()) == before
    assert "b" in (outcome.folder / "diff.txt").read_text()
    allowed = run(demo.root, answering(json.dumps({ID: narrower})), allow_break=True)
    assert allowed.accepted == (ID,) and "def add(a):" in demo.read("literate/a.md")


def test_accept_spec_and_accept_patch_through_the_command(demo):
    assert run(demo.root, answering(json.dumps({ID: GOOD}))).accepted == (ID,)
    text = demo.read("literate/a.md")
    demo.write({"literate/a.md": text.replace("returns the sum", "returns, as ever, the sum")})
    stale = demo.loom("gate")
    assert stale.exit_code == 1 and "spec changed" in stale.stderr + stale.stdout
    assert demo.loom("regen", "--accept-spec", ID).exit_code == 0
    assert demo.loom("gate").exit_code == 0
    patched = demo.read("literate/a.md").replace("return a + b", "return b + a")
    demo.write({"literate/a.md": patched})
    assert demo.loom("tangle").exit_code == 0
    unrecorded = demo.loom("gate")
    assert unrecorded.exit_code == 1 and "accept-patch" in unrecorded.stderr + unrecorded.stdout
    assert demo.loom("regen", "--accept-patch", ID).exit_code == 0
    assert demo.loom("gate").exit_code == 0
    assert "return b + a" in demo.read("literate/a.md")  # the patch itself is kept


TWO = """# Two

## The user

`total(xs)` adds the numbers with the helper.

```python {file=demo/total.py .generate}
<<plus>>


def total(xs):
    return 0
```

## The helper

`plus(a, b)` returns the sum.

```python {#plus .generate}
def plus(a, b):
    return 0
```
"""


def test_a_changed_requirement_regenerates_its_dependents_after_it(demo):
    """The plan starts at the earliest changed requirement and follows dependencies: the
    helper first, then the chunk that uses it; a chunk nobody changed is left alone."""
    demo.write({"literate/a.md": TWO})
    answers = {
        "plus": "def plus(a, b):\n    return a + b",
        "file:demo/total.py": "<<plus>>\n\n\ndef total(xs):\n    return sum(xs)",
    }

    def reply(messages, info):
        asked = re.search(r"Chunk: ([\w:./-]+)", str(messages))[1]  # the prompt names its chunk
        usage = RequestUsage(input_tokens=100, output_tokens=20)
        return ModelResponse(parts=[TextPart(json.dumps({asked: answers[asked]}))], usage=usage)

    plan = run(demo.root, None, dry_run=True).plan
    assert [s.chunk.name or s.chunk.target for s in plan.steps] == ["plus", "demo/total.py"]
    assert run(demo.root, FunctionModel(reply)).accepted == ("file:demo/total.py", "plus")
    assert run(demo.root, None, dry_run=True).plan.steps == ()
    text = demo.read("literate/a.md")
    demo.write({"literate/a.md": text.replace("returns the sum.", "returns the sum of a, b.")})
    plan = run(demo.root, None, dry_run=True).plan
    assert [(s.chunk.name or s.chunk.target, s.why) for s in plan.steps] == [
        ("plus", "spec changed"),
        ("demo/total.py", "depends on plus"),
    ]
