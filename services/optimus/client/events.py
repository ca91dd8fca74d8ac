"""Version events from Dapr pub/sub, as the client consumes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optimus.client.cache import EntryCache
from optimus.client.pointers import ActivePointers


def event_data(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event's data, whether given the CloudEvent envelope or its `data` alone."""
    data = payload.get("data")
    return data if "specversion" in payload and isinstance(data, Mapping) else payload


def apply_version_event(
    pointers: ActivePointers, cache: EntryCache, payload: Mapping[str, Any]
) -> bool:
    """Move the dataset's active pointer if the event is newer than any seen; True if it moved.

    Every version event carries the dataset's active version after the change
    and the dataset's revision, so any type will do (a publish or a rollback
    moves the pointer; the others confirm it). An `excised` event also drops the
    entries cached under its version: some of them were removed from it.
    """
    data = event_data(payload)
    if data.get("type") == "excised" and isinstance(data.get("version_id"), str):
        cache.forget(data["version_id"])
    dataset = data.get("dataset")
    revision = data.get("revision")
    if (
        not isinstance(dataset, str)
        or not isinstance(revision, int)
        or "active_version_id" not in data
    ):
        return False
    return pointers.apply_event(dataset, data["active_version_id"], revision)
