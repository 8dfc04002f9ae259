"""The gateway from outside: the mcp SDK's client over HTTP on 127.0.0.1, one test per gate."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from contextlib import asynccontextmanager

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from prometheus_client.parser import text_string_to_metric_families

from cellular_app import periphery
from cellular_app.gateway import AuditLog, Gateway, Limits, TokenStore, running, verify
from cellular_app.gateway.__main__ import main as gateway_cli
from cellular_app.gateway.server import server
from cellular_app.gateway.tools import TOOLS
from cellular_app.system import System

NOTES = ["add_note", "get_note", "search"]


@asynccontextmanager
async def gateway(tmp_path, keys, bus_url="memory://", limits=None):
    """The system and its gateway on a free port; yields URL, token store and gateway."""
    tokens = TokenStore(tmp_path / "gateway" / "tokens.json", frozenset(TOOLS))
    audit = AuditLog(tmp_path / "gateway" / "audit.jsonl")
    async with System.open(bus_url, tmp_path, keys) as system:
        door = Gateway(system, tokens, audit, limits)
        async with running(door, port=0) as url:
            yield url, tokens, door
    audit.close()


@asynccontextmanager
async def client(url, token):
    """The SDK's client, with a bearer token, as a model host would connect."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with Client(streamable_http_client(url, http_client=http)) as session:
            yield session


def records(tmp_path):
    lines = (tmp_path / "gateway" / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def text(result):
    return result.content[0].text


async def searched(session, words, wait=5.0):
    """Search until the indexer has caught up (over NATS it runs a moment later)."""
    deadline = time.monotonic() + wait
    while True:
        hits = (await session.call_tool("search", {"text": words})).structured_content["hits"]
        if hits or time.monotonic() > deadline:
            return hits
        await asyncio.sleep(0.02)


def test_tools_work_end_to_end_through_the_gateway(tmp_path, keys, bus_url):
    async def scenario():
        async with gateway(tmp_path, keys, bus_url) as (url, tokens, _):
            async with client(url, tokens.issue("alice", NOTES)) as session:
                listed = sorted(tool.name for tool in (await session.list_tools()).tools)
                added = await session.call_tool("add_note", {"title": "Kettle", "body": "descale"})
                note_id = added.structured_content["id"]
                note = (await session.call_tool("get_note", {"id": note_id})).structured_content
                hits = await searched(session, "descale")
        return listed, note, hits, note_id

    listed, note, hits, note_id = asyncio.run(scenario())
    assert listed == NOTES
    assert note == {"id": note_id, "title": "Kettle", "body": "descale", "owner": "alice"}
    assert [hit["title"] for hit in hits] == ["Kettle"]
    trail = records(tmp_path)
    assert {r["decision"] for r in trail} == {"allow"} and {r["who"] for r in trail} == {"alice"}
    assert [r["tool"] for r in trail[:2]] == ["add_note", "get_note"]
    assert verify(tmp_path / "gateway" / "audit.jsonl").ok


def test_owner_is_the_token_not_the_arguments(tmp_path, keys):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            async with client(url, tokens.issue("alice", NOTES)) as session:
                forged = {"title": "t", "body": "b", "owner": "root"}
                return await session.call_tool("add_note", forged)

    result = asyncio.run(scenario())
    assert result.is_error and "owner" in text(result) and "Extra inputs" in text(result)
    assert not list((tmp_path / "notes").iterdir())


async def post(url, token, body):
    """One raw HTTP request to the MCP endpoint, as an attacker would send it."""
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx2.AsyncClient(timeout=30) as http:
        return await http.post(url, content=body, headers=headers)


LIST = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})


@pytest.mark.parametrize("token", [None, "alice", "alice.wrong", "mallory.x", "Bearer"])
def test_no_valid_token_no_entry(tmp_path, keys, token):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            tokens.issue("alice", NOTES)
            return await post(url, token, LIST)

    response = asyncio.run(scenario())
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    (record,) = records(tmp_path)
    assert (record["who"], record["decision"], record["reason"]) == ("-", "deny", "unauthenticated")


def test_the_sdk_client_without_a_token_is_refused(tmp_path, keys):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, _, _):
            async with client(url, "nobody.nothing") as session:
                await session.list_tools()

    with pytest.RaisesGroup(MCPError, flatten_subgroups=True):
        asyncio.run(scenario())
    assert {r["reason"] for r in records(tmp_path)} == {"unauthenticated"}


def test_listing_shows_only_granted_tools_and_the_rest_are_refused(tmp_path, keys):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            async with client(url, tokens.issue("reader", ["search"])) as session:
                listed = [tool.name for tool in (await session.list_tools()).tools]
                hidden = await session.call_tool("add_note", {"title": "t", "body": "b"})
                absent = await session.call_tool("drop_tables", {})
            async with client(url, tokens.issue("nobody", [])) as session:
                nothing = (await session.list_tools()).tools
        return listed, hidden, absent, nothing

    listed, hidden, absent, nothing = asyncio.run(scenario())
    assert listed == ["search"] and nothing == []
    assert hidden.is_error and text(hidden) == "unknown tool: 'add_note'"
    assert absent.is_error and text(absent) == "unknown tool: 'drop_tables'"
    assert not list((tmp_path / "notes").iterdir())
    refused = [(r["who"], r["tool"], r["reason"]) for r in records(tmp_path)]
    assert refused == [
        ("reader", "add_note", "capability"),
        ("reader", "drop_tables", "capability"),
    ]


def test_capabilities_cannot_name_tools_that_do_not_exist(tmp_path):
    tokens = TokenStore(tmp_path / "tokens.json", frozenset(TOOLS))
    with pytest.raises(ValueError, match=r"unknown capabilities \['admin'\]"):
        tokens.issue("alice", ["search", "admin"])
    with pytest.raises(ValueError, match="token name"):
        tokens.issue("alice.evil", ["search"])
    assert not (tmp_path / "tokens.json").exists()


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("add_note", {"title": "", "body": "b"}, "title: String should have at least 1 character"),
        ("add_note", {"title": "x" * 201, "body": "b"}, "title: String should have at most 200"),
        ("add_note", {"body": "b"}, "title: Field required"),
        ("get_note", {"id": "../../etc/passwd"}, "id: String should match pattern"),
        ("search", {"text": "tea", "limit": 1000}, "limit: Input should be less than or equal"),
        ("search", {"text": ["tea"]}, "text: Input should be a valid string"),
        ("parse_document", {"content_base64": "not base64!"}, "content_base64: Value error"),
    ],
)
def test_input_is_validated_before_any_cell_sees_it(tmp_path, keys, tool, arguments, message):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            async with client(url, tokens.issue("alice", list(TOOLS))) as session:
                return await session.call_tool(tool, arguments)

    result = asyncio.run(scenario())
    assert result.is_error and text(result).startswith("invalid input: ")
    assert message in text(result)
    assert not list((tmp_path / "notes").iterdir())
    (record,) = records(tmp_path)
    assert (record["tool"], record["decision"], record["reason"]) == (tool, "deny", "input")


def test_a_caller_over_its_rate_is_refused_and_others_are_not(tmp_path, keys):
    async def scenario():
        limits = Limits(rate=0.5, burst=3)
        async with gateway(tmp_path, keys, limits=limits) as (url, tokens, _):
            bob = tokens.issue("bob", ["search"])
            async with client(url, tokens.issue("alice", ["search"])) as session:
                calls = [await session.call_tool("search", {"text": "x"}) for _ in range(5)]
            async with client(url, bob) as session:
                calls.append(await session.call_tool("search", {"text": "x"}))
        return calls

    calls = asyncio.run(scenario())
    assert [call.is_error for call in calls] == [False, False, False, True, True, False]
    assert text(calls[3]).startswith("rate limit: retry in ")
    reasons = [(r["who"], r["reason"]) for r in records(tmp_path)]
    assert reasons[3:] == [("alice", "rate"), ("alice", "rate"), ("bob", "")]


def test_bodies_and_arguments_over_their_limits_are_refused(tmp_path, keys):
    async def scenario():
        limits = Limits(max_body_bytes=4096, max_arguments_bytes=1000)
        async with gateway(tmp_path, keys, limits=limits) as (url, tokens, _):
            token = tokens.issue("alice", NOTES)
            call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
            huge = json.dumps(
                call | {"params": {"name": "search", "arguments": {"text": "x" * 5000}}}
            )
            response = await post(url, token, huge)
            async with client(url, token) as session:
                big = await session.call_tool("add_note", {"title": "t", "body": "b" * 1500})
        return response, big

    response, big = asyncio.run(scenario())
    assert response.status_code == 413
    assert big.is_error and text(big).startswith("arguments of 1526 bytes; the limit is 1000")
    assert not list((tmp_path / "notes").iterdir())
    reasons = [(r["who"], r["decision"], r["reason"]) for r in records(tmp_path)]
    assert reasons == [("-", "deny", "body size"), ("alice", "deny", "size")]


def test_tampering_with_the_audit_log_is_found(tmp_path, keys, capsys):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            async with client(url, tokens.issue("alice", NOTES)) as session:
                for words in ("tea", "coffee", "water"):
                    await session.call_tool("search", {"text": words})

    asyncio.run(scenario())
    path = tmp_path / "gateway" / "audit.jsonl"
    assert gateway_cli(["--data", str(tmp_path), "verify"]) == 0
    head = verify(path).head
    assert f"3 records, chain intact, head {head}" in capsys.readouterr().out
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"decision": "allow"', '"decision": "deny"')
    path.write_text("\n".join(lines) + "\n")
    assert gateway_cli(["--data", str(tmp_path), "verify"]) == 1
    assert f"{path}:2: record changed after it was written" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"audit.jsonl:2: audit chain broken"):
        AuditLog(path)  # a tampered log stops the gateway from starting


def test_a_log_cut_short_is_found_against_the_recorded_head(tmp_path, keys, capsys):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            async with client(url, tokens.issue("alice", NOTES)) as session:
                await session.call_tool("search", {"text": "tea"})
                await session.call_tool("search", {"text": "tea"})

    asyncio.run(scenario())
    path = tmp_path / "gateway" / "audit.jsonl"
    head = verify(path).head
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert verify(path).ok  # a shorter chain is still a chain
    assert gateway_cli(["--data", str(tmp_path), "verify", "--head", head]) == 1
    assert "the log ends before the expected head" in capsys.readouterr().err


def test_metrics_count_time_and_see_users(tmp_path, keys):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            async with client(url, tokens.issue("alice", NOTES)) as session:
                await session.call_tool("add_note", {"title": "t", "body": "b"})
                await session.call_tool("search", {"text": "t", "limit": 0})
            await post(url, None, LIST)
            async with httpx2.AsyncClient() as http:
                return (await http.get(url.replace("/mcp", "/metrics"))).text

    families = {f.name: f for f in text_string_to_metric_families(asyncio.run(scenario()))}
    counts = {
        (s.labels["cell"], s.labels["handler"], s.labels["decision"]): s.value
        for s in families["http_requests"].samples
        if s.name == "http_requests_total"
    }
    assert counts == {
        ("notes", "add_note", "allow"): 1.0,
        ("search", "search", "deny"): 1.0,
        ("gateway", "", "deny"): 1.0,
    }
    latency = families["http_request_duration_seconds"].samples
    assert any(s.name.endswith("_count") and s.labels["cell"] == "notes" for s in latency)
    assert families["active_users"].samples[0].value == 2.0  # alice, and "-" at the door
    assert families["process_cpu_seconds"].samples[0].value > 0


def test_the_gateway_listens_on_loopback_unless_told_otherwise(tmp_path):
    tokens = TokenStore(tmp_path / "tokens.json", frozenset(TOOLS))
    door = Gateway(None, tokens, AuditLog(tmp_path / "audit.jsonl"))
    with pytest.raises(ValueError, match="refusing to listen on 0.0.0.0"):
        server(door, host="0.0.0.0")
    assert server(door, host="::1").config.host == "::1"
    assert server(door, host="localhost").config.host == "localhost"


def test_the_command_line_issues_and_revokes_tokens(tmp_path, capsys):
    data = ["--data", str(tmp_path)]
    assert gateway_cli([*data, "issue", "alice", "search", "get_note"]) == 0
    token = capsys.readouterr().out.strip()
    tokens = TokenStore(tmp_path / "gateway" / "tokens.json", frozenset(TOOLS))
    assert tokens.caller(token).capabilities == {"search", "get_note"}
    assert gateway_cli([*data, "issue", "bob", "sudo"]) == 2
    assert "error: unknown capabilities ['sudo']" in capsys.readouterr().err
    assert gateway_cli([*data, "revoke", "alice"]) == 0
    assert tokens.caller(token) is None


def test_documents_are_parsed_in_the_sandbox_through_the_gateway(tmp_path, keys):
    page = b"<html><head><title>Plan</title></head><body>ship <a href='/x'>it</a></body></html>"

    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            async with client(url, tokens.issue("alice", ["parse_document"])) as session:
                content = base64.b64encode(page).decode()
                return await session.call_tool("parse_document", {"content_base64": content})

    result = asyncio.run(scenario())
    assert not result.is_error, text(result)
    assert result.structured_content["title"] == "Plan"
    assert result.structured_content["links"] == ["/x"]
    (record,) = records(tmp_path)
    assert (record["tool"], record["decision"]) == ("parse_document", "allow")


def test_a_sandbox_refusal_reaches_the_caller_and_the_log(tmp_path, keys, monkeypatch):
    async def stopped(data):
        return periphery.Refused("memory", "the parser passed its 512 MiB")

    monkeypatch.setattr(periphery, "parse_document", stopped)

    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            async with client(url, tokens.issue("alice", ["parse_document"])) as session:
                return await session.call_tool("parse_document", {"content_base64": "AAAA"})

    result = asyncio.run(scenario())
    assert result.is_error
    assert text(result) == "the sandbox refused: memory: the parser passed its 512 MiB"
    (record,) = records(tmp_path)
    assert (record["decision"], record["reason"]) == ("error", "refused: memory")


def test_a_cells_own_error_is_told_and_nothing_else_is(tmp_path, keys):
    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, door):
            async with client(url, tokens.issue("alice", NOTES)) as session:
                missing = await session.call_tool("get_note", {"id": "0123456789abcdef"})
                door.system = None  # a bug: the gateway lost its system
                broken = await session.call_tool("search", {"text": "tea"})
        return missing, broken

    missing, broken = asyncio.run(scenario())
    assert missing.is_error and text(missing).startswith("notes.get: KeyError")
    assert broken.is_error and text(broken) == "search failed"
    reasons = [(r["decision"], r["reason"]) for r in records(tmp_path)]
    assert reasons == [("error", "BusError"), ("error", "AttributeError")]


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [("Host", "evil.example", 421), ("Origin", "http://evil.example", 403)],
)
def test_a_web_page_cannot_reach_the_gateway_through_the_browser(
    tmp_path, keys, header, value, status
):
    """DNS rebinding: a page from elsewhere that resolves its own name to 127.0.0.1."""

    async def scenario():
        async with gateway(tmp_path, keys) as (url, tokens, _):
            token = tokens.issue("alice", NOTES)
            headers = {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json",
                header: value,
            }
            async with httpx2.AsyncClient(timeout=30) as http:
                return await http.post(url, content=LIST, headers=headers)

    assert asyncio.run(scenario()).status_code == status
