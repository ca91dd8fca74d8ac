"""Events raised by the dataset aggregate, one per version transition."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from optimus.domain.version import VersionStatus


class EventType(StrEnum):
    """What happened to the version; consumers route on it (`optimus.version.<type>`)."""

    CREATED = "created"
    SAVING = "saving"
    SAVED = "saved"
    FAILED = "failed"
    PUBLISHED = "published"
    DISCARDED = "discarded"
    # Discarded by the eviction policy (its status is DISCARDED).
    EVICTED = "evicted"
    # Made the dataset's candidate (canary readers get it), or no longer the candidate.
    STAGED = "staged"
    UNSTAGED = "unstaged"
    # Keys were excised from the version: its counts and digest changed, its status did not.
    EXCISED = "excised"


@dataclass(frozen=True, slots=True)
class VersionEvent:
    """A version changed status.

    `revision` is the dataset's revision after the change: it increases with
    every event of the dataset, so consumers can order events and drop stale
    or duplicated ones (a rollback re-publishes a version id seen before, so
    (version id, status) alone is not unique).
    """

    type: EventType
    dataset: str
    revision: int
    version_id: str
    sequence: int
    status: str
    at: int
    by: str
    reason: str | None
    active_version_id: str | None
    previous_active_version_id: str | None
    counts: dict[str, int] | None
    digest: str | None
    label: str | None
    # The dataset's candidate after the change (what readers of the candidate track get).
    candidate_version_id: str | None = None
    # Of a SAVED event: the diff against the active version, when the save computed one.
    diff: dict[str, Any] | None = None
    # A patch version's layers (`Version.layers`): replicas' views read through them.
    layers: tuple[str, ...] = ()

    def statuses(self) -> dict[str, VersionStatus]:
        """Every version whose status this event changed, with its new status.

        A publish also demotes the version that was active before it to SAVED.
        """
        changed = {self.version_id: VersionStatus(self.status)}
        if self.type is EventType.PUBLISHED and self.previous_active_version_id is not None:
            changed[self.previous_active_version_id] = VersionStatus.SAVED
        return changed
