"""The ceiling of the read benchmarks: a raw ASGI callable answering every GET with a constant.

It sends what a single-key read of Optimus sends (a 100-byte JSON value, its
content type and length, the two version headers, and the cache and browser-safety
headers of an entry), without looking at anything: no routing, no lookup. Served by
`harness.processes.bare_server` under the uvicorn settings of `optimus serve` (uvloop, httptools,
no access log).

With `?burn=N` it first reads the request body and spins for N µs of CPU: the
same endpoint made as expensive as a request measured elsewhere, to tell what
latency the server and the load generator give at that cost per request.
"""

from __future__ import annotations

import time
from typing import Any

BODY = b'"' + b"v" * 98 + b'"'
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
    (b"x-version-id", b"0123456789abcdefghijklmno"),
    (b"x-active-version-id", b"0123456789abcdefghijklmno"),
    (b"cache-control", b"no-cache"),
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; sandbox"),
]
START = {"type": "http.response.start", "status": 200, "headers": HEADERS}
RESPONSE = {"type": "http.response.body", "body": BODY}


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _burn(query: bytes, receive: Any) -> None:
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    micros = int(query.partition(b"burn=")[2].partition(b"&")[0] or 0)
    end = time.perf_counter() + micros / 1e6
    while time.perf_counter() < end:
        pass


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["query_string"]:
        await _burn(scope["query_string"], receive)
    await send(START)
    await send(RESPONSE)
