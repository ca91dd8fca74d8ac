"""Responses of the entry reads (answered by the fast ASGI path, `fast_reads`)."""

from __future__ import annotations

from typing import Any

import orjson

from optimus.domain.errors import NotFound
from optimus.entrypoints.api.error_mapping import Rendered, render_error
from optimus.entrypoints.api.responses import JSON
from optimus.service_layer.reads import EntriesRead, EntryRead
from optimus.service_layer.views import DatasetView

VERSION_HEADER = "x-version-id"
ACTIVE_VERSION_HEADER = "x-active-version-id"

# Stored values are served as they were given, with the dataset's content type: a
# browser must neither sniff them nor run them as a page.
ENTRY_SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
}
# A pinned version is immutable (only SAVED and PUBLISHED versions are readable);
# the active one moves with every publish.
PINNED_CACHE = "public, max-age=31536000, immutable"
UNPINNED_CACHE = "no-cache"
ERROR_HEADERS = {**ENTRY_SECURITY_HEADERS, "cache-control": UNPINNED_CACHE}


def version_headers(view: DatasetView, version_id: str, *, pinned: bool) -> dict[str, str]:
    headers = {
        VERSION_HEADER: version_id,
        "cache-control": PINNED_CACHE if pinned else UNPINNED_CACHE,
        **ENTRY_SECURITY_HEADERS,
    }
    if view.active_version_id is not None:
        headers[ACTIVE_VERSION_HEADER] = view.active_version_id
    return headers


def render_entry(read: EntryRead, key: str, *, pinned: bool) -> Rendered:
    headers = version_headers(read.view, read.version_id, pinned=pinned)
    if read.value is None:
        missing = NotFound(
            "key does not exist", code="key-not-found", key=key, version=read.version_id
        )
        return render_error(missing, headers)
    return Rendered(200, read.view.content_type, read.value, headers)


def render_entries(read: EntriesRead, *, pinned: bool) -> Rendered:
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
    headers = version_headers(read.view, read.version_id, pinned=pinned)
    return Rendered(200, JSON, orjson.dumps(body), headers)
