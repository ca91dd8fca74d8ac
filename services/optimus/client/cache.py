"""A bounded LRU of entries keyed by (version id, table, key).

Versions are immutable, so nothing cached under a version id ever goes
stale: no invalidation, only eviction of the least recently used entries
when the cache is over its entry or byte budget. The one exception is an
excision, which removes keys from retained versions: its `excised` event,
fed to the client, drops the version's entries (`forget`). A key the version does not
have is cached too (as `ABSENT`), for the same reason.

Values are kept in the form they are cheapest to hand out safely: an
immutable decoded value (str, number, bool, None) as is, and JSON arrays and
objects as their bytes, decoded on every hit so that a caller mutating what
it got cannot change what the next caller gets.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

import orjson


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


class _NotCached:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_CACHED"


ABSENT: Final = _Absent()
NOT_CACHED: Final = _NotCached()
_IMMUTABLE = (str, int, float, bool, type(None))


def stored_form(value: Any) -> Any:
    """What the cache keeps for a decoded value (see the module docstring)."""
    return value if isinstance(value, _IMMUTABLE) else orjson.dumps(value)


def handed_out(stored: Any) -> Any:
    """The decoded value of what the cache keeps: a fresh object for arrays and objects."""
    return orjson.loads(stored) if type(stored) is bytes else stored


def _size(stored: Any) -> int:
    # An estimate that keeps the budget honest for large values; small ones cost ~100 bytes anyway.
    return 100 + (len(stored) if isinstance(stored, str | bytes) else 0)


class EntryCache:
    def __init__(self, max_entries: int = 100_000, max_bytes: int = 64 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # the sync client may be shared by threads

    def get(self, version_id: str, table: str, key: str) -> Any:
        """The stored form, `ABSENT` for a known miss, or `NOT_CACHED`."""
        slot = (version_id, table, key)
        with self._lock:
            stored = self._entries.get(slot, NOT_CACHED)
            if stored is not NOT_CACHED:
                self._entries.move_to_end(slot)
            return stored

    def put(self, version_id: str, table: str, key: str, stored: Any) -> None:
        if self.max_entries <= 0:
            return
        slot = (version_id, table, key)
        with self._lock:
            previous = self._entries.pop(slot, NOT_CACHED)
            if previous is not NOT_CACHED:
                self._bytes -= _size(previous)
            self._entries[slot] = stored
            self._bytes += _size(stored)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= _size(evicted)

    def forget(self, version_id: str) -> None:
        """Drop every entry cached under the version (an excision changed it)."""
        with self._lock:
            for slot in [slot for slot in self._entries if slot[0] == version_id]:
                self._bytes -= _size(self._entries.pop(slot))

    def __len__(self) -> int:
        return len(self._entries)
