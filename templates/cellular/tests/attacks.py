"""Parsers taken over by a document: what they would do. Run only by tests/test_periphery.py."""

import json
import os
import socket
import time


def read_outside(data: bytes) -> dict:
    return {"read": [open(path).read() for path in json.loads(data)]}


def overwrite(data: bytes) -> dict:
    with open(data.decode(), "w") as file:
        file.write("defaced = True\n")
    return {}


def environment(data: bytes) -> dict:
    return {"environment": dict(os.environ)}


def connect(data: bytes) -> dict:
    with socket.create_connection(("127.0.0.1", int(data)), timeout=2) as connection:
        connection.sendall(b"stolen notes")
    return {}


def resolve(data: bytes) -> dict:
    return {"address": socket.gethostbyname(data.decode())}


def fork_bomb(data: bytes) -> dict:
    while True:
        os.fork()


def memory_bomb(data: bytes) -> dict:
    hoard = []
    while True:
        hoard.append(bytearray(64 << 20))


def endless_loop(data: bytes) -> dict:
    while True:
        pass


def waits_forever(data: bytes) -> dict:
    time.sleep(3600)
    return {}


def lies(data: bytes) -> dict:
    return {"title": "x" * 10_000, "text": "", "words": -1, "links": [], "admin": True}
