"""A version: an immutable snapshot of all tables of a dataset, and its lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from optimus.domain.errors import Conflict, Gone
from optimus.domain.excision import Excision
from optimus.domain.gates import GateResult, PublishGates
from optimus.domain.policies import VerificationPolicy


class VersionStatus(StrEnum):
    PREPARING = "PREPARING"
    AWAITING_ENTRIES = "AWAITING_ENTRIES"
    SAVING = "SAVING"
    SAVED = "SAVED"
    PUBLISHING = "PUBLISHING"
    PUBLISHED = "PUBLISHED"
    DISCARDED = "DISCARDED"
    FAILED = "FAILED"


S = VersionStatus

ALLOWED_TRANSITIONS: dict[VersionStatus, frozenset[VersionStatus]] = {
    S.PREPARING: frozenset({S.AWAITING_ENTRIES, S.DISCARDED, S.FAILED}),
    S.AWAITING_ENTRIES: frozenset({S.SAVING, S.DISCARDED, S.FAILED}),
    S.SAVING: frozenset({S.SAVED, S.DISCARDED, S.FAILED}),
    S.SAVED: frozenset({S.PUBLISHING, S.DISCARDED}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.SAVED}),
    S.PUBLISHED: frozenset({S.SAVED}),
    S.DISCARDED: frozenset(),
    S.FAILED: frozenset(),
}

# A version published and demoted again and again would grow its log without end:
# beyond this many lines, the oldest are dropped (the first few, its creation, stay).
MAX_LOG_LINES = 100
KEPT_FIRST_LINES = 8

# Committed entries: what pinned readers may see.
READABLE = frozenset({S.SAVED, S.PUBLISHING, S.PUBLISHED})
# Versions not yet saved: each may still be loading (bounded per dataset).
OPEN = frozenset({S.PREPARING, S.AWAITING_ENTRIES, S.SAVING})
# Versions whose entries are to be deleted.
DEAD = frozenset({S.DISCARDED, S.FAILED})
# Why a version is DISCARDED when the eviction policy, not a caller, discarded it.
EVICTED = "evicted"


@dataclass(frozen=True, slots=True)
class Operation:
    """One line of an operation log: what happened, when (epoch ms), who did it and why."""

    action: str
    at: int
    by: str
    reason: str | None = None


@dataclass(slots=True)
class Version:
    id: str
    dataset: str
    sequence: int
    label: str | None
    created_at: int
    status: VersionStatus
    verification_policy: VerificationPolicy | None = None
    counts: dict[str, int] | None = None
    digest: str | None = None
    operation_log: list[Operation] = field(default_factory=list)
    # True once the entries of a DEAD version have been deleted from the entry store.
    purged: bool = False
    # EVICTED when the eviction policy discarded it; None for any other status or discard.
    discard_reason: str | None = None
    # Gates of this version, overriding the dataset's; and how it fared against them.
    publish_gates: PublishGates | None = None
    gates: GateResult | None = None
    # Schemas replacing the dataset's for some tables, in this version (schema evolution).
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A patch version: the version it started from, and every version whose entries it
    # reads through (its base first, a full version last). Empty for a full version.
    base_version_id: str | None = None
    layers: tuple[str, ...] = ()
    # Keys removed from this version for good, one record per excision that reached it.
    excisions: list[Excision] = field(default_factory=list)

    @property
    def total_entries(self) -> int | None:
        return None if self.counts is None else sum(self.counts.values())

    def excised_marks(self) -> frozenset[str]:
        """Every (table, key hash) excised from this version, as `excision.mark`s."""
        return frozenset().union(*(e.marks() for e in self.excisions))

    def transition(self, to: VersionStatus, *, at: int, by: str, reason: str | None = None) -> None:
        if to not in ALLOWED_TRANSITIONS[self.status]:
            raise Conflict(
                f"version {self.id} is {self.status}; it cannot become {to}",
                code="illegal-transition",
                version=self.id,
                version_status=str(self.status),
                target=str(to),
                allowed=sorted(str(s) for s in ALLOWED_TRANSITIONS[self.status]),
            )
        self.status = to
        self.operation_log.append(Operation(str(to), at, by, reason))
        if len(self.operation_log) > MAX_LOG_LINES:
            del self.operation_log[KEPT_FIRST_LINES]


def patches_apart(new: Version, old: Version) -> list[str] | None:
    """The patch versions whose own writes and retractions are all that can differ between
    `new` and `old`: those above the nearest layer the two share (either may be that
    layer itself). None when they share no layer (every key must then be compared)."""
    new_chain, old_chain = (new.id, *new.layers), (old.id, *old.layers)
    shared = next((layer for layer in new_chain if layer in old_chain), None)
    if shared is None:
        return None
    return [*new_chain[: new_chain.index(shared)], *old_chain[: old_chain.index(shared)]]


def require_loadable(version_id: str, status: VersionStatus) -> None:
    """Entries are accepted only while a version is AWAITING_ENTRIES."""
    if status is not S.AWAITING_ENTRIES:
        raise Conflict(
            f"version {version_id} is {status}; entries are accepted only while it is "
            "AWAITING_ENTRIES",
            code="version-not-loadable",
            version=version_id,
            version_status=str(status),
        )


def require_readable(version_id: str, status: VersionStatus) -> None:
    """Pinned reads see committed, retained entries only."""
    if status in DEAD:
        raise Gone(
            f"version {version_id} is {status}; its entries are deleted",
            version=version_id,
            version_status=str(status),
        )
    if status not in READABLE:
        raise Conflict(
            f"version {version_id} is {status}; its entries become readable once it is SAVED",
            code="version-not-readable",
            version=version_id,
            version_status=str(status),
        )
