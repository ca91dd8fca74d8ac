"""The timed client: pre-encoded HTTP/1.1 requests over raw asyncio keep-alive connections.

What is timed is the server: a request costs this client a write and two reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def http_request(method: str, path: str, body: bytes = b"") -> bytes:
    """One pre-encoded HTTP/1.1 keep-alive request."""
    head = f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n"
    if body or method in {"POST", "PUT"}:
        head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    head: bytes = b""

    def header(self, name: str) -> str | None:
        match = re.search(rb"(?im)^" + name.encode() + rb":\s*([^\r\n]*)", self.head)
        return match.group(1).decode() if match else None


class Connection:
    """A minimal HTTP/1.1 client over one keep-alive connection: as cheap as a client gets.

    It sends pre-encoded requests and reads Content-Length delimited replies
    (what uvicorn sends for every response of these benchmarks).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        writer.transport.set_write_buffer_limits(high=1 << 22)
        return cls(reader, writer)

    async def send(self, request: bytes) -> Reply:
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        if match is None:
            raise RuntimeError(f"reply without content-length: {head[:200]!r}")
        body = await self._reader.readexactly(int(match.group(1)))
        return Reply(status, body, head)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


async def send_requests(
    port: int,
    requests: Sequence[bytes] | Callable[[int], bytes],
    count: int,
    connections: int,
    expected_status: int,
) -> tuple[float, list[str]]:
    """Send `count` requests over `connections` keep-alive connections, each taking the next
    as soon as it has its reply; returns (seconds, errors: replies of another status).

    `requests` is either every request pre-encoded, or a function making request i.
    """
    conns = [await Connection.open(port) for _ in range(connections)]
    next_index = 0
    failures: list[str] = []

    async def worker(conn: Connection) -> None:
        nonlocal next_index
        while next_index < count and len(failures) < 10:
            index = next_index
            next_index += 1
            request = requests(index) if callable(requests) else requests[index]
            reply = await conn.send(request)
            if reply.status != expected_status:
                failures.append(f"{reply.status} {reply.body[:300]!r}")

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(conn) for conn in conns))
    finally:
        elapsed = time.perf_counter() - started
        for conn in conns:
            await conn.close()
    return elapsed, failures
