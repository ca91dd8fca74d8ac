"""Which version of each dataset the client reads when a read is not pinned.

The active pointer is the only thing a consumer caches that can go stale.
It is refreshed two ways:
- from the server: every unpinned response names the active version
  (`x-active-version-id`); a pointer older than `ttl` is not trusted, so the
  next read goes to the server and refreshes it (the bounded poll);
- from publish events (`apply_event`), which carry the dataset's revision:
  only a newer revision moves the pointer, so duplicated or reordered
  deliveries are harmless.
A server answer requested before the last event was applied is older than
that event and is ignored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Pointer:
    version_id: str | None
    checked_at: float  # when the server or an event last confirmed it
    event_applied_at: float  # when an event last moved it (-inf: never)
    revision: int  # the revision of the last event applied (-1: none)


class ActivePointers:
    def __init__(self, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._pointers: dict[str, _Pointer] = {}
        self._lock = threading.Lock()

    def fresh(self, dataset: str) -> str | None:
        """The active version id if confirmed within the TTL, else None (ask the server)."""
        pointer = self._pointers.get(dataset)
        if pointer is None or self.clock() - pointer.checked_at > self.ttl:
            return None
        return pointer.version_id

    def observe(self, dataset: str, active_version_id: str | None, asked_at: float) -> None:
        """The server said, to a request sent at `asked_at`, that this version is active."""
        with self._lock:
            pointer = self._pointers.get(dataset)
            if pointer is None:
                self._pointers[dataset] = _Pointer(active_version_id, asked_at, float("-inf"), -1)
            elif asked_at >= pointer.event_applied_at:
                pointer.version_id = active_version_id
                pointer.checked_at = max(pointer.checked_at, asked_at)

    def apply_event(self, dataset: str, active_version_id: str | None, revision: int) -> bool:
        """Move the pointer if `revision` is newer than any event seen; True if it moved."""
        with self._lock:
            pointer = self._pointers.get(dataset)
            if pointer is not None and revision <= pointer.revision:
                return False
            now = self.clock()
            self._pointers[dataset] = _Pointer(active_version_id, now, now, revision)
            return True

    def forget(self, dataset: str) -> None:
        """Stop trusting the pointer (its version can no longer be read)."""
        with self._lock:
            pointer = self._pointers.get(dataset)
            if pointer is not None:
                pointer.checked_at = float("-inf")
