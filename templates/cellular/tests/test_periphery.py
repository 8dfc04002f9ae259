"""A parser taken over by a document is stopped, and the refusal says what stopped it."""

import json
import socket
import time
from pathlib import Path

import pytest

from cellular_app.periphery import Refused, sandbox, validate
from cellular_app.periphery.sandbox import Limits

HERE = Path(__file__).parent
QUICK = Limits(timeout=20, cpu=2)  # the CPU limit small, the clock generous: CI is busy
confined = pytest.mark.skipif(
    sandbox.mode() == "off" or sandbox.missing() is not None,
    reason=f"needs bubblewrap: {sandbox.missing() or 'CELLULAR_APP_SANDBOX=off'}",
)


def attack(name: str, data: bytes = b"", limits: Limits = QUICK):
    """Run the parser `tests/attacks.py:name` in the sandbox, as the service runs its own."""
    return sandbox.run(f"attacks:{name}", data, limits, read_only=[HERE])


def refused(done, limit: str) -> bool:
    return isinstance(done, Refused) and done.limit == limit


@confined
def test_reading_outside_its_folder_is_stopped(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2")
    for path in (secret, Path.home() / ".bashrc", Path("/etc/passwd")):
        done = attack("read_outside", json.dumps([str(path)]).encode())
        assert refused(done, "filesystem"), done
        assert "No such file" in done.detail and "hunter2" not in done.detail


@confined
def test_overwriting_its_own_code_is_stopped():
    target = sandbox.package_root() / "cellular_app" / "periphery" / "parser.py"
    before = target.read_bytes()
    done = attack("overwrite", str(target).encode())
    assert refused(done, "filesystem") and "Read-only file system" in done.detail, done
    assert target.read_bytes() == before


def test_no_key_reaches_it(monkeypatch):
    monkeypatch.setenv("CELLULAR_APP_KEYS", "a-storage-key")
    monkeypatch.setenv("GATEWAY_TOKEN", "a-token")
    done = attack("environment")
    seen = set(done.value["environment"]) - {"PWD"}
    assert seen == {"PATH", "HOME", "TMPDIR", "LANG", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}


@confined
def test_the_network_is_stopped():
    with socket.create_server(("127.0.0.1", 0)) as server:
        done = attack("connect", str(server.getsockname()[1]).encode())
        assert refused(done, "network"), done
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()  # the service's own loopback never heard from it
    assert refused(attack("resolve", b"example.com"), "network")


@confined
def test_a_fork_bomb_is_stopped():
    start = time.monotonic()
    done = attack("fork_bomb")
    assert refused(done, "processes") and "Resource temporarily unavailable" in done.detail, done
    assert time.monotonic() - start < QUICK.timeout


def test_a_memory_bomb_is_stopped():
    done = attack("memory_bomb")
    assert refused(done, "memory"), done


def test_an_endless_loop_is_stopped():
    start = time.monotonic()
    done = attack("endless_loop")
    assert done == Refused("cpu", "used up its 2 s of CPU time", done.note)
    assert time.monotonic() - start < QUICK.timeout


def test_waiting_forever_is_stopped():
    start = time.monotonic()
    done = attack("waits_forever", limits=Limits(timeout=1, cpu=2))
    assert refused(done, "timeout") and "after 1 s" in done.detail, done
    assert time.monotonic() - start < 4


def test_an_answer_that_is_not_a_parse_is_refused():
    done = validate(attack("lies"))
    assert refused(done, "failed") and "not a parse" in done.detail, done


@confined
def test_bubblewrap_required_and_missing_is_a_refusal(monkeypatch):
    monkeypatch.setenv("CELLULAR_APP_SANDBOX", "bwrap")
    monkeypatch.setattr(sandbox, "missing", lambda: "bubblewrap (bwrap) is not installed")
    assert refused(attack("environment"), "sandbox")
    monkeypatch.setenv("CELLULAR_APP_SANDBOX", "auto")
    done = attack("environment")
    assert "not confined by bubblewrap" in done.note
