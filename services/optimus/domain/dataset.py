"""The dataset aggregate: owns its versions, their lifecycle and the active pointer.

Every state change goes through a method here; each emits `VersionEvent`s
into `events` for the host to persist and publish. The hosts (embedded and
Dapr actor) only load the aggregate, call one method, and store it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from optimus.domain.digest import EntryStats
from optimus.domain.errors import Conflict, InvalidInput, NotFound, unknown_version
from optimus.domain.events import EventType, VersionEvent
from optimus.domain.names import validate_name
from optimus.domain.policies import EvictionPolicy, VerificationPolicy
from optimus.domain.publications import Publication, after_publish
from optimus.domain.version import (
    DEAD,
    EVICTED,
    READABLE,
    Operation,
    Version,
    VersionStatus,
    require_loadable,
)

S = VersionStatus
E = EventType

DEFAULT_CONTENT_TYPE = "application/json"
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[ -~]+)?")
MAX_TABLES = 1000
# Purged versions whose metadata is kept for GET /versions/{id}; older ones are forgotten
# so that the aggregate (rewritten on every command) stays small.
PURGED_HISTORY = 100
# Lines of the dataset's own operation log kept (the most recent).
MAX_DATASET_LOG_LINES = 1000


def validate_content_type(value: object) -> str:
    if not isinstance(value, str) or _MEDIA_TYPE.fullmatch(value) is None:
        raise InvalidInput(
            "content-type must be a media type such as application/json",
            field="content-type",
            value=value,
        )
    return value


def require_table(dataset: str, tables: Collection[str], table: str) -> None:
    if table not in tables:
        raise NotFound(
            f"table {table!r} does not exist in dataset {dataset!r}",
            dataset=dataset,
            table=table,
            tables=sorted(tables),
        )


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


@dataclass(slots=True)
class Dataset:
    name: str
    tables: tuple[str, ...]
    content_type: str
    eviction_policy: EvictionPolicy
    created_at: int
    versions: dict[str, Version] = field(default_factory=dict)  # in sequence order
    active_version_id: str | None = None
    next_sequence: int = 1
    revision: int = 0
    operation_log: list[Operation] = field(default_factory=list)
    publications: tuple[Publication, ...] = ()
    events: list[VersionEvent] = field(default_factory=list, compare=False, repr=False)

    # ----------------------------------------------------------------- create
    @classmethod
    def create(
        cls,
        name: object,
        tables: object,
        *,
        content_type: object = DEFAULT_CONTENT_TYPE,
        eviction_policy: EvictionPolicy,
        at: int,
        by: str,
    ) -> Dataset:
        validate_name("dataset", name)
        if not isinstance(tables, list | tuple) or not tables:
            raise InvalidInput("tables must be a non-empty list of table names", field="tables")
        if len(tables) > MAX_TABLES:
            raise InvalidInput(f"a dataset has at most {MAX_TABLES} tables", field="tables")
        for table in tables:
            validate_name("table", table)
        if len(set(tables)) != len(tables):
            raise InvalidInput("table names must be unique", field="tables")
        dataset = cls(
            name=name,  # type: ignore[arg-type]
            tables=tuple(tables),
            content_type=validate_content_type(content_type),
            eviction_policy=eviction_policy,
            created_at=at,
        )
        dataset.operation_log.append(Operation("CREATED", at, by))
        return dataset

    # ---------------------------------------------------------------- queries
    @property
    def active_version(self) -> Version | None:
        return self.versions.get(self.active_version_id) if self.active_version_id else None

    def version(self, version_id: str) -> Version:
        version = self.versions.get(version_id)
        if version is None:
            raise unknown_version(version_id)
        return version

    def check_table(self, table: str) -> None:
        require_table(self.name, self.tables, table)

    def check_loadable(self, version_id: str) -> Version:
        """The version accepts entries, or a precise error says why not."""
        version = self.version(version_id)
        require_loadable(version_id, version.status)
        return version

    def retained_versions(self) -> list[Version]:
        """Saved or published versions, newest first (what `available-versions` lists)."""
        return [v for v in reversed(self.versions.values()) if v.status in READABLE]

    def versions_to_purge(self) -> list[Version]:
        """Dead versions whose entries no version still needs (a patch reads its layers')."""
        needed = {layer for v in self.versions.values() if not v.purged for layer in v.layers}
        return [
            v
            for v in self.versions.values()
            if v.status in DEAD and not v.purged and v.id not in needed
        ]

    def versions_saving(self) -> list[Version]:
        return [v for v in self.versions.values() if v.status is S.SAVING]

    # --------------------------------------------------------------- commands
    def create_version(
        self,
        version_id: str,
        *,
        label: str | None,
        verification_policy: VerificationPolicy | None,
        at: int,
        by: str,
        base: str | None = None,
        reason: str | None = None,
    ) -> Version:
        """A new version: empty, or a patch of `base` (its entries, without copying them)."""
        if label is not None:
            validate_name("label", label)
        if version_id in self.versions:
            raise Conflict(f"version {version_id} already exists", version=version_id)
        layers: tuple[str, ...] = ()
        if base is not None:
            base_version = self._patchable(base)
            layers = (base, *base_version.layers)
            reason = f"patch of {base}" + (f": {reason}" if reason else "")
        version = Version(
            id=version_id,
            dataset=self.name,
            sequence=self.next_sequence,
            label=label,
            created_at=at,
            status=S.PREPARING,
            verification_policy=verification_policy,
            operation_log=[Operation(str(S.PREPARING), at, by, reason)],
            base_version_id=base,
            layers=layers,
        )
        self.next_sequence += 1
        self.versions[version_id] = version
        # Nothing to prepare: storage needs no provisioning per version.
        version.transition(S.AWAITING_ENTRIES, at=at, by=by)
        self._emit(E.CREATED, version, at=at, by=by)
        return version

    def begin_save(
        self,
        version_id: str,
        *,
        at: int,
        by: str,
        reason: str | None = None,
        verification_policy: VerificationPolicy | None = None,
    ) -> bool:
        """AWAITING_ENTRIES -> SAVING. False if already saving or saved (a retried request).

        A `verification_policy` given here replaces the one given at creation: a
        producer often knows the count or digest of its input only once it has read it.
        """
        version = self.version(version_id)
        if version.status in (S.SAVING, S.SAVED, S.PUBLISHED):
            return False
        version.transition(S.SAVING, at=at, by=by, reason=reason)
        if verification_policy is not None:
            version.verification_policy = verification_policy
        self._emit(E.SAVING, version, at=at, by=by, reason=reason)
        return True

    def complete_save(self, version_id: str, stats: EntryStats, *, at: int, by: str) -> Version:
        """SAVING -> SAVED if every verification passes, else FAILED."""
        version = self.version(version_id)
        if version.status is not S.SAVING:
            raise Conflict(
                f"version {version_id} is {version.status}, not SAVING",
                code="illegal-transition",
                version=version_id,
                version_status=str(version.status),
            )
        version.counts = {table: stats.counts.get(table, 0) for table in self.tables}
        version.digest = stats.digest
        failure = version.verification_policy and version.verification_policy.failure(stats)
        if failure:
            version.transition(S.FAILED, at=at, by=by, reason=f"verification failed: {failure}")
            self._emit(E.FAILED, version, at=at, by=by, reason=failure)
            return version
        version.transition(S.SAVED, at=at, by=by)
        self._emit(E.SAVED, version, at=at, by=by)
        self._evict(at=at, by=by)
        return version

    def fail(self, version_id: str, *, at: int, by: str, reason: str) -> None:
        version = self.version(version_id)
        version.transition(S.FAILED, at=at, by=by, reason=reason)
        self._emit(E.FAILED, version, at=at, by=by, reason=reason)

    def publish(self, version_id: str, *, at: int, by: str, reason: str | None = None) -> bool:
        """Make a SAVED version the active one; the previous one goes back to SAVED.

        Re-publishing an earlier SAVED version is the rollback. Publishing the
        version that is already active changes nothing and returns False.
        """
        version = self.version(version_id)
        if version.id == self.active_version_id:
            return False
        if version.status is not S.SAVED:
            raise Conflict(
                f"version {version_id} is {version.status}; only a SAVED version can be published",
                code="illegal-transition",
                version=version_id,
                version_status=str(version.status),
                target=str(S.PUBLISHED),
            )
        previous = self.active_version
        version.transition(S.PUBLISHING, at=at, by=by, reason=reason)
        if previous is not None:
            previous.transition(S.SAVED, at=at, by=by, reason=f"superseded by {version.id}")
        version.transition(S.PUBLISHED, at=at, by=by, reason=reason)
        self.active_version_id = version.id
        self.publications = after_publish(
            self.publications, version.id, at=at, by=by, reason=reason
        )
        rollback = previous is not None and version.sequence < previous.sequence
        self.operation_log.append(
            Operation("ROLLED_BACK" if rollback else "PUBLISHED", at, by, reason or version.id)
        )
        del self.operation_log[:-MAX_DATASET_LOG_LINES]
        self._emit(
            E.PUBLISHED,
            version,
            at=at,
            by=by,
            reason=reason,
            previous=previous.id if previous else None,
        )
        self._evict(at=at, by=by)
        return True

    def discard(self, version_id: str, *, at: int, by: str, reason: str | None = None) -> bool:
        """Void a version that is not published. False if it was already discarded."""
        version = self.version(version_id)
        if version.status is S.DISCARDED:
            return False
        if version.status is S.PUBLISHED:
            raise Conflict(
                f"version {version_id} is PUBLISHED; publish another version before discarding it",
                code="illegal-transition",
                version=version_id,
                version_status=str(version.status),
                target=str(S.DISCARDED),
            )
        version.transition(S.DISCARDED, at=at, by=by, reason=reason)
        self._emit(E.DISCARDED, version, at=at, by=by, reason=reason)
        return True

    def record_purge(self, version_id: str, *, at: int, by: str) -> None:
        """The entries of a discarded, failed or evicted version were deleted."""
        version = self.version(version_id)
        if version.status not in DEAD:
            raise Conflict(
                f"version {version_id} is {version.status}; only dead versions are purged",
                version=version_id,
            )
        if not version.purged:
            version.purged = True
            version.operation_log.append(Operation("PURGED", at, by))
        purged = [v.id for v in self.versions.values() if v.purged]
        for old in purged[: max(0, len(purged) - PURGED_HISTORY)]:
            del self.versions[old]

    # -------------------------------------------------------------- internals
    def _patchable(self, base: object) -> Version:
        """The version a patch starts from: a committed version of this dataset."""
        if not isinstance(base, str) or base not in self.versions:
            raise NotFound(
                f"base version {base!r} does not exist in dataset {self.name!r}",
                code="unknown-base-version",
                dataset=self.name,
                version=base,
            )
        version = self.versions[base]
        if version.status not in READABLE:
            raise Conflict(
                f"base version {base} is {version.status}; a patch starts from a SAVED or "
                "PUBLISHED version",
                code="base-not-readable",
                version=base,
                version_status=str(version.status),
            )
        return version

    def _evict(self, *, at: int, by: str) -> None:
        keep = self.eviction_policy.versions
        retained = [v for v in reversed(self.versions.values()) if v.status in READABLE]
        for version in retained[keep:]:
            if version.status is S.SAVED:
                reason = f"{EVICTED}: {self.eviction_policy.type}: {keep}"
                version.transition(S.DISCARDED, at=at, by=by, reason=reason)
                version.discard_reason = EVICTED
                self._emit(E.EVICTED, version, at=at, by=by, reason=reason)

    def _emit(
        self,
        kind: EventType,
        version: Version,
        *,
        at: int,
        by: str,
        reason: str | None = None,
        previous: str | None = None,
    ) -> None:
        self.revision += 1
        self.events.append(
            VersionEvent(
                type=kind,
                dataset=self.name,
                revision=self.revision,
                version_id=version.id,
                sequence=version.sequence,
                status=str(version.status),
                at=at,
                by=by,
                reason=reason,
                active_version_id=self.active_version_id,
                previous_active_version_id=previous,
                counts=version.counts,
                digest=version.digest,
                label=version.label,
                layers=version.layers,
            )
        )
