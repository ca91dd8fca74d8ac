"""The ceiling of the read benchmarks: a raw ASGI callable answering every GET with a constant.

It sends what a single-key read of Optimus sends (a 100-byte JSON value, its
content type and length, and the two version headers), without looking at
anything: no routing, no lookup. Served by `common.bare_server` under the
uvicorn settings of `optimus serve` (uvloop, httptools, no access log).
"""

from __future__ import annotations

from typing import Any

BODY = b'"' + b"v" * 98 + b'"'
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
    (b"x-version-id", b"0123456789abcdefghijklmno"),
    (b"x-active-version-id", b"0123456789abcdefghijklmno"),
]
START = {"type": "http.response.start", "status": 200, "headers": HEADERS}
RESPONSE = {"type": "http.response.body", "body": BODY}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(START)
    await send(RESPONSE)
