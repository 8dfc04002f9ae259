"""The same scenario on both transports: the cells never know which bus carries them."""

from __future__ import annotations

import asyncio
import time

import pytest

from cellular_app.bus import BusError, connect
from cellular_app.bus.memory import MemoryBus
from cellular_app.bus.nats import NatsBus
from cellular_app.storage import NoteStore, StorageError, new_key
from cellular_app.system import System

NOTES = [
    {"title": "Sourdough", "body": "feed the starter, flour and water", "owner": "ada"},
    {"title": "Garden", "body": "water the tomatoes; buy seeds", "owner": "ada"},
    {"title": "Taxes", "body": "file before April", "owner": "bob"},
]


async def found(system, text, expected, wait=5.0):
    """The titles search finds for `text`, asked again until they are `expected` or time is up."""
    deadline = time.monotonic() + wait
    while True:
        hits = (await system.bus.request("search.query", {"text": text}))["hits"]
        titles = [hit["title"] for hit in hits]
        if titles == expected or time.monotonic() > deadline:
            return titles
        await asyncio.sleep(0.01)


async def add_all(system):
    return [(await system.bus.request("notes.add", note))["id"] for note in NOTES]


def test_notes_are_stored_found_and_read(bus_url, keys, tmp_path):
    async def scenario():
        async with System.open(bus_url, tmp_path, keys) as system:
            ids = await add_all(system)
            expected = ["Garden", "Sourdough"]  # Garden has both words
            assert await found(system, "water tomatoes", expected) == expected
            assert await found(system, "april", ["Taxes"]) == ["Taxes"]
            note = await system.bus.request("notes.get", {"id": ids[2]})
            assert note == {"id": ids[2], **NOTES[2]}
            return ids

    ids = asyncio.run(scenario())
    for note_id in ids:  # nothing readable at rest
        on_disk = (tmp_path / "notes" / f"{note_id}.fernet").read_bytes()
        assert b"water" not in on_disk and b"April" not in on_disk


def test_errors_are_the_same_on_both_transports(bus_url, keys, tmp_path):
    async def scenario():
        async with System.open(bus_url, tmp_path, keys) as system:
            with pytest.raises(BusError, match=r"notes\.get: KeyError: .*no note"):
                await system.bus.request("notes.get", {"id": "0" * 16})
            with pytest.raises(BusError, match=r"notes\.add: ValidationError"):
                await system.bus.request("notes.add", {"title": "no body or owner"})
            with pytest.raises(BusError, match=r"nobody\.home: no responder"):
                await system.bus.request("nobody.home", {})
            assert (await system.bus.request("search.query", {"text": "zzz"})) == {"hits": []}

    asyncio.run(scenario())


def test_a_restarted_system_finds_what_it_stored(bus_url, keys, tmp_path):
    async def first():
        async with System.open(bus_url, tmp_path, keys) as system:
            await add_all(system)

    async def second():
        async with System.open(bus_url, tmp_path, keys) as system:
            return await found(system, "seeds", ["Garden"], wait=0)

    asyncio.run(first())
    assert asyncio.run(second()) == ["Garden"]


def test_after_rotation_only_the_new_key_is_needed(bus_url, keys, tmp_path):
    async def add():
        async with System.open(bus_url, tmp_path, keys) as system:
            return await add_all(system)

    async def read(key, note_id):
        async with System.open(bus_url, tmp_path, [key]) as system:
            return await system.bus.request("notes.get", {"id": note_id})

    ids = asyncio.run(add())
    new = new_key()
    assert NoteStore(tmp_path, keys).rotate(new) == len(NOTES)
    assert asyncio.run(read(new, ids[0]))["title"] == "Sourdough"
    with pytest.raises(StorageError, match="no key opens it"):  # the old key alone cannot start
        asyncio.run(read(keys[0], ids[0]))


def test_messages_arrive_as_json_and_a_failing_subscriber_is_only_logged(bus_url, caplog):
    async def scenario():
        bus, heard = connect(bus_url), []

        async def hear(message):
            heard.append(message)

        async def fail(message):
            raise RuntimeError("subscriber broke")

        bus.subscribe("t", fail)
        bus.subscribe("t", hear)
        await bus.start()
        await bus.publish("t", {"pair": (1, 2), "nested": {"ok": True, "none": None}})
        deadline = time.monotonic() + 5
        while not (heard and "subscriber broke" in caplog.text) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await bus.stop()
        return heard

    assert asyncio.run(scenario()) == [{"pair": [1, 2], "nested": {"ok": True, "none": None}}]
    assert "subscriber broke" in caplog.text
    with pytest.raises(TypeError, match="a bus message is a JSON object, not list"):
        asyncio.run(connect(bus_url).publish("t", [1, 2]))


def test_bus_url_in_the_environment_chooses_the_transport(nats_url, keys, tmp_path, monkeypatch):
    async def transport():
        async with System.open(data_dir=tmp_path) as system:
            return type(system.bus)

    monkeypatch.setenv("BUS_URL", nats_url)
    assert asyncio.run(transport()) is NatsBus
    monkeypatch.delenv("BUS_URL")
    assert asyncio.run(transport()) is MemoryBus


def test_an_unreachable_nats_is_named():
    bus = NatsBus("nats://127.0.0.1:1", max_reconnect_attempts=1, reconnect_time_wait=0.01)
    with pytest.raises(BusError, match="cannot reach NATS at nats://127.0.0.1:1"):
        asyncio.run(bus.start())
