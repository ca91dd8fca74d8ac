"""The read path's cache logic, shared by the sync and async clients (no I/O here).

A read names its version: the pinned one, else the active pointer if it is
fresh. With a version known, the cache may answer on its own; otherwise the
request goes out and its answer fills the cache under the version that
answered (and refreshes the pointer from the response headers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from optimus.client.cache import ABSENT, NOT_CACHED, EntryCache, handed_out, stored_form
from optimus.client.calls import ACTIVE_VERSION_HEADER, VERSION_HEADER, checked
from optimus.client.errors import KEY_MISSES, KeyNotFound
from optimus.client.models import Entries
from optimus.client.pointers import ActivePointers
from optimus.domain.dataset import is_json


class ReadPath:
    def __init__(self, cache: EntryCache, pointers: ActivePointers) -> None:
        self.cache = cache
        self.pointers = pointers

    def target(self, dataset: str, version_id: str | None) -> str | None:
        """The version to read: the pinned one, or the active one if the pointer is fresh."""
        return version_id if version_id is not None else self.pointers.fresh(dataset)

    def cached_one(self, version_id: str | None, table: str, key: str) -> Any:
        """The cached value, raising KeyNotFound for a known miss; NOT_CACHED otherwise."""
        if version_id is None:
            return NOT_CACHED
        stored = self.cache.get(version_id, table, key)
        if stored is ABSENT:
            raise _key_not_found(key, version_id)
        return stored if stored is NOT_CACHED else handed_out(stored)

    def cached_many(
        self, version_id: str, table: str, keys: Sequence[str]
    ) -> tuple[dict[str, Any], list[str], list[str]]:
        """(found values, known misses, keys not cached)."""
        values: dict[str, Any] = {}
        missing: list[str] = []
        unknown: list[str] = []
        for key in keys:
            stored = self.cache.get(version_id, table, key)
            if stored is NOT_CACHED:
                unknown.append(key)
            elif stored is ABSENT:
                missing.append(key)
            else:
                values[key] = handed_out(stored)
        return values, missing, unknown

    def stale_pointer(
        self, dataset: str, pinned: str | None, target: str | None, response: httpx.Response
    ) -> bool:
        """True if a read pinned by the pointer was refused: the pointer is dropped, ask again."""
        refused = response.status_code >= 400 and _miss_code(response) is None
        if pinned is None and target is not None and refused:
            self.pointers.forget(dataset)
            return True
        return False

    def settle_one(
        self, dataset: str, table: str, key: str, response: httpx.Response, asked_at: float
    ) -> Any:
        version_id = self._observe(dataset, response, asked_at)
        if _miss_code(response) == "key-not-found" and version_id is not None:
            self.cache.put(version_id, table, key, ABSENT)
            raise _key_not_found(key, version_id)
        checked(response)  # an excised key: KeyNotFound with code "excised"
        assert version_id is not None, "a successful read names its version"
        body = response.content
        content_type = response.headers.get("content-type", "application/json")
        stored = body if is_json(content_type) else body.decode()
        self.cache.put(version_id, table, key, stored)
        return handed_out(stored)

    def settle_many(
        self,
        dataset: str,
        table: str,
        keys: Sequence[str],
        response: httpx.Response,
        asked_at: float,
    ) -> Entries:
        version_id = self._observe(dataset, response, asked_at)
        data: dict[str, Any] = orjson.loads(checked(response).content)["data"]
        assert version_id is not None, "a successful read names its version"
        missing = []
        for key in keys:
            if key in data:
                self.cache.put(version_id, table, key, stored_form(data[key]))
            else:
                self.cache.put(version_id, table, key, ABSENT)
                missing.append(key)
        return Entries(version_id, data, missing)

    def _observe(self, dataset: str, response: httpx.Response, asked_at: float) -> str | None:
        """The version that answered; the response also tells which one is active now."""
        version_id = response.headers.get(VERSION_HEADER)
        if version_id is not None:
            self.pointers.observe(dataset, response.headers.get(ACTIVE_VERSION_HEADER), asked_at)
        return version_id


def merged(cached: tuple[dict[str, Any], list[str]], fetched: Entries) -> Entries:
    values, missing = cached
    return Entries(fetched.version_id, values | fetched.values, missing + fetched.missing)


def _miss_code(response: httpx.Response) -> str | None:
    """The code of a 404 that says the version has no such key (KEY_MISSES), else None."""
    if response.status_code != 404:
        return None
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if code in KEY_MISSES else None


def _key_not_found(key: str, version_id: str) -> KeyNotFound:
    return KeyNotFound(
        404, "key does not exist", "key-not-found", {"key": key, "version": version_id}
    )
