"""What one version adds, removes and changes against another, key by key.

Both sides are compared in runs of keys known to be complete on both sides
(see `service_layer/diffs.py`): inside a run, one dict of the old side's
fingerprints answers every key of the new side, at C speed, so a diff costs
little more than reading the keys.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import compress, filterfalse, repeat
from operator import eq, is_
from typing import Any


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


LISTED_CHANGES = (Change.ADDED, Change.REMOVED, Change.CHANGED)


@dataclass(slots=True)
class ChangeCounts:
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0

    def add(self, other: ChangeCounts) -> None:
        self.added += other.added
        self.removed += other.removed
        self.changed += other.changed
        self.unchanged += other.unchanged

    def to_dict(self) -> dict[str, int]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
        }


@dataclass(slots=True)
class Fingerprints:
    """Keys of one table of a version in key order, and a fingerprint of each one's value
    (equal fingerprints: equal values), as two parallel lists."""

    keys: list[str] = field(default_factory=list)
    prints: list[bytes | str] = field(default_factory=list)

    def extend(self, more: Fingerprints) -> None:
        self.keys += more.keys
        self.prints += more.prints

    def take_through(self, bound: str | None) -> Fingerprints:
        """The keys up to `bound` (all of them if None), taken out of these."""
        end = len(self.keys) if bound is None else bisect_right(self.keys, bound)
        taken = Fingerprints(self.keys[:end], self.prints[:end])
        del self.keys[:end], self.prints[:end]
        return taken


@dataclass(frozen=True, slots=True)
class RunChanges:
    """The changes within one run of keys; keys in key order."""

    added: list[str]
    removed: list[str]
    changed: list[str]
    unchanged: int

    def keys(self, change: Change) -> list[str]:
        return {
            Change.ADDED: self.added,
            Change.REMOVED: self.removed,
            Change.CHANGED: self.changed,
        }[change]


# A run holds millions of keys: the comparisons below are loops in C (map, dict, list
# methods), with no Python code per key.


def _old_prints_of_new_keys(old: Fingerprints, new: Fingerprints) -> list[bytes | str | None]:
    """For each key of `new`, the fingerprint `old` has for it (None: `old` lacks the key)."""
    return list(map(dict(zip(old.keys, old.prints, strict=True)).get, new.keys))


def compare_run(old: Fingerprints, new: Fingerprints) -> RunChanges:
    """The keys of `new` absent from `old` are added, and so on; fingerprints equal: unchanged."""
    found = _old_prints_of_new_keys(old, new)
    added = list(compress(new.keys, map(is_, found, repeat(None))))
    changed = [
        key
        for key, was, now in zip(new.keys, found, new.prints, strict=True)
        if was is not None and was != now
    ]
    unchanged = sum(map(eq, found, new.prints))
    removed = list(filterfalse(set(new.keys).__contains__, old.keys))
    return RunChanges(added, removed, changed, unchanged)


def count_run(old: Fingerprints, new: Fingerprints) -> ChangeCounts:
    """The counts of `compare_run`, without listing the keys (what a summary needs)."""
    found = _old_prints_of_new_keys(old, new)
    added = found.count(None)
    unchanged = sum(map(eq, found, new.prints))
    both = len(new.keys) - added
    return ChangeCounts(added, len(old.keys) - both, both - unchanged, unchanged)


@dataclass(slots=True)
class DiffSummary:
    """Counts per table and in total."""

    version_id: str
    against: str
    tables: dict[str, ChangeCounts] = field(default_factory=dict)

    @property
    def total(self) -> ChangeCounts:
        total = ChangeCounts()
        for counts in self.tables.values():
            total.add(counts)
        return total

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DiffSummary:
        tables = {table: ChangeCounts(**counts) for table, counts in raw["tables"].items()}
        return cls(raw["version"], raw["against"], tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version_id,
            "against": self.against,
            "tables": {table: counts.to_dict() for table, counts in self.tables.items()},
            "total": self.total.to_dict(),
        }
