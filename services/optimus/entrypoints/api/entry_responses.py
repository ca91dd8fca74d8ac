"""Responses of the read path, shared by the FastAPI routes and the fast ASGI path."""

from __future__ import annotations

from typing import Any

import orjson

from optimus.domain.errors import NotFound, OptimusError
from optimus.entrypoints.api.responses import JSON, error_body, error_status
from optimus.service_layer.reads import EntriesRead, EntryRead
from optimus.service_layer.views import DatasetView

VERSION_HEADER = "x-version-id"
ACTIVE_VERSION_HEADER = "x-active-version-id"
TRACK_HEADER = "x-optimus-track"


class Rendered:
    """Status, headers and body of a response, independent of the web framework."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self, status: int, content_type: str, body: bytes, headers: dict[str, str]
    ) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body
        self.headers = headers


def version_headers(view: DatasetView, version_id: str, track: str | None = None) -> dict[str, str]:
    headers = {VERSION_HEADER: version_id}
    if view.active_version_id is not None:
        headers[ACTIVE_VERSION_HEADER] = view.active_version_id
    if track is not None:
        headers[TRACK_HEADER] = track
    return headers


def render_error(exc: OptimusError, headers: dict[str, str] | None = None) -> Rendered:
    body = orjson.dumps(error_body(exc.message, exc.code, **exc.details))
    return Rendered(error_status(exc), JSON, body, headers or {})


def render_entry(read: EntryRead, key: str) -> Rendered:
    headers = version_headers(read.view, read.version_id, read.track)
    if read.value is None:
        missing = NotFound(
            "key does not exist", code="key-not-found", key=key, version=read.version_id
        )
        return render_error(missing, headers)
    return Rendered(200, read.view.content_type, read.value, headers)


def render_entries(read: EntriesRead) -> Rendered:
    data: dict[str, Any] = {}
    as_json = read.view.is_json
    for key, value in zip(read.keys, read.values, strict=True):
        if value is not None:
            data[key] = orjson.Fragment(value) if as_json else value.decode()
    body = {
        "status": "OK",
        "keys-found": len(data),
        "keys-missing": len(set(read.keys)) - len(data),
        "data": data,
    }
    headers = version_headers(read.view, read.version_id, read.track)
    return Rendered(200, JSON, orjson.dumps(body), headers)
