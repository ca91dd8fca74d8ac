"""Connections are bounded: slow or idle clients are cut off, floods get 503, raw errors JSON."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import OptimusServer

HEADER_TIMEOUT = "1"


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[OptimusServer]:
    server = OptimusServer(
        tmp_path / "data", "--header-timeout", HEADER_TIMEOUT, "--timeout-keep-alive", "1"
    ).start()
    yield server
    server.stop()


def connect(server: OptimusServer) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    return connection


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (30 s at most)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def json_error(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), raw[:300]
    return int(head.split()[1]), json.loads(body)


def test_a_trickling_client_is_cut_off_while_normal_reads_go_on(
    strict_server: OptimusServer,
) -> None:
    trickler = connect(strict_server)
    stop = threading.Event()

    def trickle() -> None:  # a header byte every 100 ms: the headers never end
        try:
            trickler.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            while not stop.wait(0.1):
                trickler.sendall(b"a")
        except OSError:
            pass  # the server closed the connection

    sender = threading.Thread(target=trickle)
    sender.start()
    try:
        with httpx.Client(base_url=strict_server.url) as client:
            reads = [client.get("/healthcheck").status_code for _ in range(20)]
        status, body = json_error(read_until_closed(trickler))
    finally:
        stop.set()
        sender.join()
        trickler.close()
    assert reads == [200] * 20
    assert (status, body["code"]) == (408, "request-timeout")


def test_idle_connections_are_closed(strict_server: OptimusServer) -> None:
    silent = connect(strict_server)  # never sends a byte
    status, body = json_error(read_until_closed(silent))
    assert (status, body["code"]) == (408, "request-timeout")

    kept_alive = connect(strict_server)  # one request, then idle
    kept_alive.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert read_until_closed(kept_alive).startswith(b"HTTP/1.1 200 OK")


def test_connections_past_the_limit_are_answered_503_until_they_go(tmp_path: Path) -> None:
    server = OptimusServer(tmp_path / "data", "--max-connections", "4").start()
    try:
        idle = [connect(server) for _ in range(4)]
        flooded = httpx.get(f"{server.url}/healthcheck")
        assert flooded.status_code == 503
        for connection in idle:
            connection.close()
        assert httpx.get(f"{server.url}/healthcheck").status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"GARBAGE\r\n\r\n", id="garbage request line"),
        pytest.param(
            b"POST /v1/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
            id="bad content-length",
        ),
        pytest.param(
            b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", id="200k URL"
        ),
    ],
)
def test_requests_the_http_layer_refuses_get_the_json_error_shape(
    strict_server: OptimusServer, request_bytes: bytes
) -> None:
    connection = connect(strict_server)
    connection.sendall(request_bytes)
    status, body = json_error(read_until_closed(connection))
    assert (status, body["status"], body["code"]) == (400, "error", "bad-http-request")
