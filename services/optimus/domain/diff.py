"""What one version adds, removes and changes against another, key by key.

Both sides are compared in runs of keys known to be complete on both sides
(see `service_layer/diffs.py`): inside a run, set operations on dicts do the
work at C speed, so a diff costs little more than reading the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
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


def compare_run(old: Mapping[str, object], new: Mapping[str, object]) -> RunChanges:
    """Keys of `new` absent from `old` are added, and so on; fingerprints equal = unchanged."""
    both = old.keys() & new.keys()
    changed = sorted(key for key in both if old[key] != new[key])
    return RunChanges(
        added=sorted(new.keys() - both),
        removed=sorted(old.keys() - both),
        changed=changed,
        unchanged=len(both) - len(changed),
    )


def count_run(old: Mapping[str, object], new: Mapping[str, object]) -> ChangeCounts:
    """The counts of `compare_run`, without listing the keys (what a summary needs)."""
    both = old.keys() & new.keys()
    changed = sum(1 for key in both if old[key] != new[key])
    return ChangeCounts(len(new) - len(both), len(old) - len(both), changed, len(both) - changed)


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
