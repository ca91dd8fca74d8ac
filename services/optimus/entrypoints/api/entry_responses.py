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
TRACK_HEADER = "x-optimus-track"

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


def version_names(view: DatasetView, version_id: str, track: str | None = None) -> dict[str, str]:
    """Which version answered (and the active one, and the track): on every read API."""
    names = {VERSION_HEADER: version_id}
    if view.active_version_id is not None:
        names[ACTIVE_VERSION_HEADER] = view.active_version_id
    if track is not None:
        names[TRACK_HEADER] = track
    return names


def version_headers(
    view: DatasetView, version_id: str, *, pinned: bool, track: str | None = None
) -> dict[str, str]:
    """The version names, and how HTTP caches and browsers are to treat the entry."""
    return {
        **version_names(view, version_id, track),
        "cache-control": PINNED_CACHE if pinned else UNPINNED_CACHE,
        **ENTRY_SECURITY_HEADERS,
    }


def missing_key(key: str, version_id: str, *, excised: bool) -> NotFound:
    """The 404 of a key absent from a version: `excised` when an excision removed it."""
    if excised:
        return NotFound(
            "key was excised from this version", code="excised", key=key, version=version_id
        )
    return NotFound("key does not exist", code="key-not-found", key=key, version=version_id)


def render_entry(read: EntryRead, key: str, *, pinned: bool) -> Rendered:
    headers = version_headers(read.view, read.version_id, pinned=pinned, track=read.track)
    if read.value is None:
        return render_error(missing_key(key, read.version_id, excised=read.excised), headers)
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
    if read.excised:  # absent keys an excision removed (counted in keys-missing as well)
        body["keys-excised"] = read.excised
    headers = version_headers(read.view, read.version_id, pinned=pinned, track=read.track)
    return Rendered(200, JSON, orjson.dumps(body), headers)
