"""Writes must say that their body is JSON.

A browser sends a cross-origin `text/plain` or form POST without asking first, but not an
`application/json` one: requiring it keeps a page on any site from driving this server.
A write without a body (save, publish) needs no Content-Type, so that
`curl -X POST …/publish` works, but may not declare another one.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

JSON_MEDIA_TYPE = "application/json"


def require_json_body(headers: Headers, body: bytes) -> None:
    """415 unless the body is declared JSON (or is empty and declares nothing else)."""
    content_type = headers.get("content-type")
    if content_type is None and not body.strip():
        return
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        raise HTTPException(
            415,
            f"a write must be sent with Content-Type: {JSON_MEDIA_TYPE} "
            f"(got {media_type or 'none'})",
        )
