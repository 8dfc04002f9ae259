"""The gateway is the only listening socket: the cells bind nothing, on either transport.

Python raises the audit event `socket.bind` for every bind made through the socket module,
which is every bind asyncio, uvicorn and the NATS client could make; a hook records them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import sys
from contextlib import contextmanager

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cellular_app.gateway import AuditLog, Gateway, TokenStore, running
from cellular_app.gateway.tools import TOOLS
from cellular_app.system import System

_binds: list[object] | None = None


def _hook(event: str, args: tuple) -> None:
    if event == "socket.bind" and _binds is not None:
        _binds.append(args[1])


sys.addaudithook(_hook)  # hooks cannot be removed; it records only inside `recording()`


@contextmanager
def recording():
    global _binds
    _binds = []
    try:
        yield _binds
    finally:
        _binds = None


async def work(system):
    added = await system.bus.request("notes.add", {"title": "t", "body": "quiet", "owner": "o"})
    await system.bus.request("notes.get", {"id": added["id"]})
    await asyncio.sleep(0.05)
    await system.bus.request("search.query", {"text": "quiet"})


def test_the_cells_bind_no_socket(tmp_path, keys, bus_url):
    async def scenario():
        async with System.open(bus_url, tmp_path, keys) as system:
            assert [cell.name for cell in system.cells]  # every registered cell is attached
            await work(system)

    with recording() as binds:
        asyncio.run(scenario())
    assert binds == []


def test_the_gateway_binds_one_socket_on_loopback(tmp_path, keys, bus_url):
    tokens = TokenStore(tmp_path / "gateway" / "tokens.json", frozenset(TOOLS))
    token = tokens.issue("alice", ["search"])

    async def scenario():
        async with System.open(bus_url, tmp_path, keys) as system:
            gateway = Gateway(system, tokens, AuditLog(tmp_path / "gateway" / "audit.jsonl"))
            async with running(gateway, port=0) as url:
                await work(system)
                headers = {"Authorization": f"Bearer {token}"}
                async with (
                    httpx2.AsyncClient(headers=headers) as http,
                    Client(streamable_http_client(url, http_client=http)) as session,
                ):
                    await session.call_tool("search", {"text": "quiet"})

    with recording() as binds:
        asyncio.run(scenario())
    assert len(binds) == 1
    host, port = binds[0][:2]
    assert ipaddress.ip_address(host).is_loopback and port == 0
