"""Odoo's gevent worker (the real-time bus behind "Real-time connection lost") starts
and stays up in a real multi-worker server, and its /websocket route upgrades a real
websocket connection.

With gevent 22.10 beside zope.interface 8, the worker died at start-up on every spawn
("'zope.interface' distribution was not found") and the server re-spawned it forever:
a new pid every second, nothing on the gevent port. requirements.txt pins a set that
works together; this test guards it.
"""

import base64
import hashlib
import os
import socket
import struct
import time

import psutil
import pytest
import requests
from odoo_server import OdooServer

# RFC 6455 §1.3: the server proves it read the key by hashing it with this GUID.
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
STAYS_UP_SECONDS = 20


@pytest.fixture(scope="module")
def odoo():
    with OdooServer(workers=2, jobs=1) as server:
        yield server


def gevent_workers(server):
    """The pids of the server's gevent worker processes (``odoo gevent ...``)."""
    children = psutil.Process(server.process.pid).children()
    return [child.pid for child in children if "gevent" in child.cmdline()[1:3]]


def wait_for_gevent_worker(server, timeout=90):
    """The gevent worker's pids, once it answers on the gevent port (its first request
    loads the registry: slow on a busy machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = gevent_workers(server)
        try:
            health = requests.get(
                f"http://127.0.0.1:{server.gevent_port}/websocket/health", timeout=60
            )
            if pids and health.status_code == 200:
                return pids
        except requests.ConnectionError:  # not listening (yet)
            pass
        time.sleep(0.2)
    raise AssertionError(
        f"no gevent worker within {timeout}s; see {server.stderr} and {server.log}"
    )


def why_respawned(server):
    """What the server said about it: its stderr, and the log lines of the gevent
    process or about it."""
    stderr = server.stderr.read_text()[-3000:]
    log = [
        line
        for line in server.log.read_text().splitlines()
        if "gevent" in line.lower() or "evented" in line.lower() or "rror" in line
    ]
    return "the gevent worker was re-spawned\n" + stderr + "\n".join(log[-30:])


def websocket_handshake(port, key):
    """Open a connection to the gevent port and ask to upgrade ``/websocket``;
    return the socket and the response head (status line and headers)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    host = f"127.0.0.1:{port}"
    sock.sendall(
        (
            "GET /websocket HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            f"Origin: http://{host}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed during the handshake: {head!r}"
        head += chunk
    return sock, head.split(b"\r\n\r\n")[0].decode()


def close_frame(code=1000):
    """A client's (masked) close frame with a status code."""
    mask = os.urandom(4)
    payload = struct.pack("!H", code)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([0x88, 0x80 | len(payload)]) + mask + masked


def test_gevent_worker_starts_and_stays_up(odoo):
    first = wait_for_gevent_worker(odoo)
    time.sleep(STAYS_UP_SECONDS)
    assert gevent_workers(odoo) == first, why_respawned(odoo)


def test_websocket_route_upgrades_on_the_gevent_port(odoo):
    wait_for_gevent_worker(odoo)
    key = base64.b64encode(os.urandom(16)).decode()
    sock, head = websocket_handshake(odoo.gevent_port, key)
    with sock:
        status, *header_lines = head.split("\r\n")
        headers = dict(line.split(": ", 1) for line in header_lines)
        assert status.startswith("HTTP/1.1 101"), head
        accept = hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()
        assert headers["Sec-WebSocket-Accept"] == base64.b64encode(accept).decode()
        # The upgraded connection is served: a close frame is answered by one.
        sock.sendall(close_frame())
        reply = sock.recv(2)
        assert reply[:1] == b"\x88", reply
