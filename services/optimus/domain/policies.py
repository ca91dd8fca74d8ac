"""Verification policies (run when a version is saved) and eviction policies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from optimus.domain.bounds import MAX_DIGEST_LENGTH, MAX_RETAINED_VERSIONS, MAX_TABLES, bounded_text
from optimus.domain.digest import EntryStats
from optimus.domain.errors import InvalidInput


class VerificationPolicy(Protocol):
    strategy: str

    def failure(self, stats: EntryStats) -> str | None:
        """Why the saved entries fail this policy, or None if they pass."""

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class CountPolicy:
    """Optimus's `count` strategy: the version holds exactly `count` entries in all."""

    count: int
    strategy: str = "count"

    def failure(self, stats: EntryStats) -> str | None:
        if stats.total != self.count:
            return f"expected {self.count} entries, found {stats.total}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "count": self.count}


@dataclass(frozen=True, slots=True)
class TableCountsPolicy:
    """Exact entry count per table, e.g. {"strategy": "table-counts", "counts": {"users": 10}}."""

    counts: Mapping[str, int]
    strategy: str = "table-counts"

    def failure(self, stats: EntryStats) -> str | None:
        wrong = {
            table: {"expected": expected, "found": stats.counts.get(table, 0)}
            for table, expected in self.counts.items()
            if stats.counts.get(table, 0) != expected
        }
        return f"entry counts differ: {wrong}" if wrong else None

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "counts": dict(self.counts)}


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    """The version's content digest equals the one the producer computed from its input."""

    digest: str
    strategy: str = "digest"

    def failure(self, stats: EntryStats) -> str | None:
        if stats.digest != self.digest:
            return f"expected digest {self.digest}, found {stats.digest}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "digest": self.digest}


def _non_negative_int(raw: Mapping[str, Any], field: str) -> int:
    value = raw.get(field)
    if type(value) is not int or value < 0:
        raise InvalidInput(
            f"verification-policy.{field} must be a non-negative integer", field=field, value=value
        )
    return value


def _count(raw: Mapping[str, Any]) -> VerificationPolicy:
    return CountPolicy(_non_negative_int(raw, "count"))


def _table_counts(raw: Mapping[str, Any]) -> VerificationPolicy:
    counts = raw.get("counts")
    if not isinstance(counts, dict) or not counts:
        raise InvalidInput("verification-policy.counts must be a non-empty object")
    if len(counts) > MAX_TABLES:
        raise InvalidInput(f"verification-policy.counts names at most {MAX_TABLES} tables")
    return TableCountsPolicy({t: _non_negative_int(counts, t) for t in counts})


def _digest(raw: Mapping[str, Any]) -> VerificationPolicy:
    digest = raw.get("digest")
    if not isinstance(digest, str) or not digest:
        raise InvalidInput("verification-policy.digest must be a digest string")
    bounded_text("verification-policy.digest", digest, MAX_DIGEST_LENGTH)
    return DigestPolicy(digest)


VERIFICATION_STRATEGIES: dict[str, Callable[[Mapping[str, Any]], VerificationPolicy]] = {
    "count": _count,
    "table-counts": _table_counts,
    "digest": _digest,
}


def parse_verification_policy(raw: object) -> VerificationPolicy | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput("verification-policy must be an object with a 'strategy'")
    strategy = raw.get("strategy")
    parse = VERIFICATION_STRATEGIES.get(strategy) if isinstance(strategy, str) else None
    if parse is None:
        raise InvalidInput(
            f"unknown verification strategy {strategy!r}",
            supported=sorted(VERIFICATION_STRATEGIES),
        )
    return parse(raw)


@dataclass(frozen=True, slots=True)
class EvictionPolicy:
    """keep-last-x-versions: retain the `versions` most recent saved versions.

    The published version is always retained. `type` keeps the spelling the
    user chose (Optimus documents both `keep-last-x-versions` and
    `KEEP_LAST_X_VERSIONS`).
    """

    versions: int = 10
    type: str = "keep-last-x-versions"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "versions": self.versions}


def parse_eviction_policy(raw: object) -> EvictionPolicy:
    if raw is None:
        return EvictionPolicy()
    if not isinstance(raw, dict):
        raise InvalidInput("eviction-policy must be an object with 'type' and 'versions'")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind.lower().replace("_", "-") != "keep-last-x-versions":
        raise InvalidInput(
            f"unknown eviction-policy type {kind!r}", supported=["keep-last-x-versions"]
        )
    versions = raw.get("versions")
    if type(versions) is not int or not 1 <= versions <= MAX_RETAINED_VERSIONS:
        raise InvalidInput(
            f"eviction-policy.versions must be an integer from 1 to {MAX_RETAINED_VERSIONS}",
            field="versions",
            value=versions,
        )
    return EvictionPolicy(versions=versions, type=kind)
