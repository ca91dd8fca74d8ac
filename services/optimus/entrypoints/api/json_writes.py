"""Writes must say that their body is JSON.

A browser sends a cross-origin `text/plain` or form POST without asking first, but not an
`application/json` one: requiring it keeps a page on any site from driving this server.
A write without a body (save, publish) and without a Content-Type is accepted, so that
`curl -X POST …/publish` works.
"""

from __future__ import annotations

from fastapi import Request
from starlette.exceptions import HTTPException

JSON_MEDIA_TYPE = "application/json"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def require_json_writes(request: Request) -> None:
    """A FastAPI dependency of the /v1 routes: 415 for a write not sent as application/json."""
    if request.method not in _WRITES:
        return
    headers = request.headers
    content_type = headers.get("content-type")
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if content_type is None and not has_body:
        return
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        raise HTTPException(
            415,
            f"a write must be sent with Content-Type: {JSON_MEDIA_TYPE} "
            f"(got {media_type or 'none'})",
        )
