"""The dataset aggregate: owns its versions, their lifecycle and the active pointer.

Every state change goes through a method here; each emits `VersionEvent`s
into `events` for the host to persist and publish. The hosts (embedded and
Dapr actor) only load the aggregate, call one method, and store it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from optimus.domain.bounds import MAX_OPEN_VERSIONS, MAX_TABLES, check_reason, check_who
from optimus.domain.diff import DiffSummary
from optimus.domain.digest import EntryStats
from optimus.domain.errors import Conflict, InvalidInput, NotFound, unknown_version
from optimus.domain.events import EventType, VersionEvent
from optimus.domain.excision import Excision, check_excision_reason, mark
from optimus.domain.gates import GateResult, PublishGates, evaluate_gates
from optimus.domain.hooks import HookAnswer, PublishHook
from optimus.domain.masking import parse_masking
from optimus.domain.names import validate_name
from optimus.domain.policies import EvictionPolicy, VerificationPolicy
from optimus.domain.publications import Publication, after_publish
from optimus.domain.schemas import TableSchemas, check_schemas
from optimus.domain.version import (
    DEAD,
    EVICTED,
    OPEN,
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


MAX_LOAD_TIMEOUT_S = 30 * 24 * 3600


def validate_load_timeout(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 0 < value <= MAX_LOAD_TIMEOUT_S:
        raise InvalidInput(
            f"load-timeout-seconds must be a whole number of seconds, 1..{MAX_LOAD_TIMEOUT_S}",
            field="load-timeout-seconds",
        )
    return value


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
    publish_gates: PublishGates | None = None
    # JSON Schemas of some tables; a version may replace them (`Version.schemas`).
    schemas: TableSchemas = field(default_factory=dict)
    # Asked for a go/no-go before a version is published (not before a rollback).
    publish_hooks: tuple[PublishHook, ...] = ()
    versions: dict[str, Version] = field(default_factory=dict)  # in sequence order
    active_version_id: str | None = None
    # A SAVED version that readers of the candidate track get before it is published.
    candidate_version_id: str | None = None
    next_sequence: int = 1
    revision: int = 0
    operation_log: list[Operation] = field(default_factory=list)
    # table -> fields of its values only callers with `unmask` see (JSON datasets)
    masking: dict[str, list[str]] = field(default_factory=dict)
    # A version left AWAITING_ENTRIES with no new batch for this long fails (None: the
    # server's default).
    load_timeout_s: int | None = None
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
        masking: object = None,
        publish_gates: PublishGates | None = None,
        schemas: object = None,
        publish_hooks: tuple[PublishHook, ...] = (),
        at: int,
        by: str,
        load_timeout_s: object = None,
    ) -> Dataset:
        validate_name("dataset", name)
        check_who(by)
        if not isinstance(tables, list | tuple) or not tables:
            raise InvalidInput("tables must be a non-empty list of table names", field="tables")
        if len(tables) > MAX_TABLES:
            raise InvalidInput(f"a dataset has at most {MAX_TABLES} tables", field="tables")
        for table in tables:
            validate_name("table", table)
        if len(set(tables)) != len(tables):
            raise InvalidInput("table names must be unique", field="tables")
        content_type = validate_content_type(content_type)
        dataset = cls(
            name=name,  # type: ignore[arg-type]
            tables=tuple(tables),
            content_type=content_type,
            eviction_policy=eviction_policy,
            created_at=at,
            masking=parse_masking(masking, tuple(tables), is_json(content_type)),
            publish_gates=publish_gates,
            schemas=check_schemas(schemas, tables=tables, json_values=is_json(content_type)),
            publish_hooks=publish_hooks,
            load_timeout_s=validate_load_timeout(load_timeout_s),
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

    def schemas_of(self, version: Version) -> TableSchemas:
        """The schemas entries of the version are validated against, per table."""
        return self.schemas | version.schemas

    def gates_of(self, version: Version) -> PublishGates | None:
        """The version's own gates, else the dataset's."""
        return version.publish_gates or self.publish_gates

    def gates_stale(self, version: Version) -> bool:
        """True if the version's diff gates were measured against another active version."""
        gates = self.gates_of(version)
        return (
            gates is not None
            and gates.needs_diff
            and self.active_version_id is not None
            and (version.gates is None or version.gates.against != self.active_version_id)
        )

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

    def abandoned_loads(
        self,
        *,
        now: int,
        last_batch_at: Mapping[str, int],
        watched_since: int,
        default_s: int | None,
    ) -> list[tuple[str, int]]:
        """(version id, timeout s) of each version AWAITING_ENTRIES idle past its load timeout.

        Idle since its last batch, or its creation, or `watched_since` (when the host
        began to watch: batch times it did not see are unknown), whichever is latest.
        """
        timeout_s = self.load_timeout_s if self.load_timeout_s is not None else default_s
        if timeout_s is None:
            return []
        found = []
        for version in self.versions.values():
            if version.status is not S.AWAITING_ENTRIES:
                continue
            idle_since = max(
                last_batch_at.get(version.id, 0), version.operation_log[-1].at, watched_since
            )
            if now - idle_since >= timeout_s * 1000:
                found.append((version.id, timeout_s))
        return found

    def versions_saving(self) -> list[Version]:
        return [v for v in self.versions.values() if v.status is S.SAVING]

    # --------------------------------------------------------------- commands
    def create_version(
        self,
        version_id: str,
        *,
        label: str | None,
        verification_policy: VerificationPolicy | None,
        publish_gates: PublishGates | None = None,
        schemas: object = None,
        at: int,
        by: str,
        base: str | None = None,
        reason: str | None = None,
    ) -> Version:
        """A new version: empty, or a patch of `base` (its entries, without copying them)."""
        if label is not None:
            validate_name("label", label)
        check_who(by)
        replaced = check_schemas(
            schemas, tables=self.tables, json_values=is_json(self.content_type)
        )
        if version_id in self.versions:
            raise Conflict(f"version {version_id} already exists", version=version_id)
        open_versions = sum(1 for v in self.versions.values() if v.status in OPEN)
        if open_versions >= MAX_OPEN_VERSIONS:
            raise Conflict(
                f"dataset {self.name!r} has {open_versions} versions not yet saved, the most "
                "it may have; save or discard some first",
                code="too-many-open-versions",
                limit=MAX_OPEN_VERSIONS,
            )
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
            publish_gates=publish_gates,
            schemas=replaced,
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
        check_who(by)
        check_reason(reason)
        version = self.version(version_id)
        if version.status in (S.SAVING, S.SAVED, S.PUBLISHED):
            return False
        version.transition(S.SAVING, at=at, by=by, reason=reason)
        if verification_policy is not None:
            version.verification_policy = verification_policy
        self._emit(E.SAVING, version, at=at, by=by, reason=reason)
        return True

    def complete_save(
        self,
        version_id: str,
        stats: EntryStats,
        *,
        at: int,
        by: str,
        diff: DiffSummary | None = None,
    ) -> Version:
        """SAVING -> SAVED if every verification passes, else FAILED.

        `diff` is against the active version, if any; the publish gates are judged on it.
        """
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
        gates = self.gates_of(version)
        if gates is not None:
            version.gates = evaluate_gates(gates, stats.total, self.active_version_id, diff)
        self._emit(E.SAVED, version, at=at, by=by, diff=diff)
        self._evict(at=at, by=by)
        return version

    def fail(self, version_id: str, *, at: int, by: str, reason: str) -> None:
        version = self.version(version_id)
        version.transition(S.FAILED, at=at, by=by, reason=reason)
        self._emit(E.FAILED, version, at=at, by=by, reason=reason)

    def publish(
        self,
        version_id: str,
        *,
        at: int,
        by: str,
        reason: str | None = None,
        force: bool = False,
        diff: DiffSummary | None = None,
    ) -> bool:
        """Make a SAVED version the active one; the previous one goes back to SAVED.

        Re-publishing an earlier SAVED version is the rollback. Publishing the
        version that is already active changes nothing and returns False. A
        version whose publish gates failed is refused unless `force` (with a
        reason); `diff` (against the active version) re-judges gates measured
        against an earlier active version. A rollback is never gated.
        """
        check_who(by)
        check_reason(reason)
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
        rollback = self.is_rollback(version)
        gates = None if rollback else self._judge_gates(version, diff, force=force, reason=reason)
        if gates is not None:
            version.gates = gates
            if not gates.passed:
                failed = ", ".join(f"{c.gate} ({c.table})" for c in gates.failed())
                version.operation_log.append(
                    Operation("GATES_OVERRIDDEN", at, by, f"{reason} [failed: {failed}]")
                )
        version.transition(S.PUBLISHING, at=at, by=by, reason=reason)
        if previous is not None:
            previous.transition(S.SAVED, at=at, by=by, reason=f"superseded by {version.id}")
        version.transition(S.PUBLISHED, at=at, by=by, reason=reason)
        self.active_version_id = version.id
        if self.candidate_version_id == version.id:  # promoted: the tracks meet again
            self.candidate_version_id = None
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

    def is_rollback(self, version: Version) -> bool:
        """Publishing `version` would go back to an earlier one (never gated, never hooked)."""
        active = self.active_version
        return active is not None and version.sequence < active.sequence

    def record_hook_answers(
        self, version_id: str, answers: list[HookAnswer], *, at: int, by: str
    ) -> None:
        """Keep what the pre-publish hooks answered in the version's operation log."""
        version = self.version(version_id)
        for answer in answers:
            line = f"{answer.hook}: {answer.decision}" + (
                f": {answer.message}" if answer.message else ""
            )
            version.operation_log.append(Operation("PUBLISH_HOOK", at, by, line))

    def _judge_gates(
        self, version: Version, diff: DiffSummary | None, *, force: bool, reason: str | None
    ) -> GateResult | None:
        """The version's gate result for this publish; Conflict if it failed and is not forced.

        Changes nothing: the caller records the result once the publish is sure.
        """
        gates = self.gates_of(version)
        if gates is None:
            return None
        result = version.gates
        if self.gates_stale(version):
            if diff is None or diff.against != self.active_version_id:
                raise Conflict(
                    f"the active version of {self.name!r} changed while the publish of "
                    f"{version.id} was judged; try again",
                    code="active-version-changed",
                    version=version.id,
                )
            result = evaluate_gates(gates, version.total_entries or 0, diff.against, diff)
        if result is None or result.passed:
            return result
        if not force:
            raise Conflict(
                f"version {version.id} failed its publish gates; publish it with force and a "
                "reason to override them",
                code="publish-gates-failed",
                version=version.id,
                against=result.against,
                checks=[check.to_dict() for check in result.failed()],
            )
        if not reason:
            raise InvalidInput(
                "a forced publish needs a reason (it is recorded in the operation log)",
                code="reason-required",
            )
        return result

    def discard(self, version_id: str, *, at: int, by: str, reason: str | None = None) -> bool:
        """Void a version that is not published. False if it was already discarded."""
        check_who(by)
        check_reason(reason)
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
        self._drop_candidate(version.id)
        self._emit(E.DISCARDED, version, at=at, by=by, reason=reason)
        return True

    def stage(self, version_id: str, *, at: int, by: str, reason: str | None = None) -> bool:
        """Make a SAVED version the candidate, replacing any other. False if it already is."""
        version = self.version(version_id)
        if version.status is not S.SAVED:
            raise Conflict(
                f"version {version_id} is {version.status}; only a SAVED version can be staged",
                code="illegal-transition",
                version=version_id,
                version_status=str(version.status),
            )
        if self.candidate_version_id == version_id:
            return False
        self.candidate_version_id = version_id
        version.operation_log.append(Operation("STAGED", at, by, reason))
        self._emit(E.STAGED, version, at=at, by=by, reason=reason)
        return True

    def unstage(self, version_id: str, *, at: int, by: str, reason: str | None = None) -> bool:
        """The version is no longer the candidate. False if it was not."""
        version = self.version(version_id)
        if self.candidate_version_id != version_id:
            return False
        self.candidate_version_id = None
        version.operation_log.append(Operation("UNSTAGED", at, by, reason))
        self._emit(E.UNSTAGED, version, at=at, by=by, reason=reason)
        return True

    def excisable(self, table: str, key_hashes: Collection[str]) -> list[Version]:
        """The retained versions an excision of these keys has still to reach, newest first.

        Refused while a version is SAVING: its count and digest are being measured.
        """
        self.check_table(table)  # 404, as an unknown table is everywhere
        saving = [v.id for v in self.versions_saving()]
        if saving:
            raise Conflict(
                f"version {saving[0]} of {self.name!r} is SAVING; excise once its save has "
                "ended (an excision recounts every retained version)",
                code="version-saving",
                version=saving[0],
            )
        marks = {mark(table, hashed) for hashed in key_hashes}
        return [v for v in self.retained_versions() if not marks <= v.excised_marks()]

    def excise(
        self,
        table: str,
        key_hashes: tuple[str, ...],
        remaining: Mapping[str, EntryStats],
        *,
        at: int,
        by: str,
        reason: str,
    ) -> list[Version]:
        """Record that the keys are removed from every retained version, with each one's
        `remaining` counts and digest (measured by the caller, from what the keys held).

        Conflict, changing nothing, if the retained versions are not those measured.
        """
        check_who(by)
        check_reason(check_excision_reason(reason))
        pending = self.excisable(table, key_hashes)
        if {v.id for v in pending} != set(remaining):
            raise Conflict(
                f"the retained versions of {self.name!r} changed while the excision was "
                "measured; try again",
                code="versions-changed",
            )
        excision = Excision(at, by, reason, table, key_hashes)
        line = f"{len(key_hashes)} keys of table {table}: {reason}"
        for version in pending:
            stats = remaining[version.id]
            version.counts = {t: stats.counts.get(t, 0) for t in self.tables}
            version.digest = stats.digest
            version.excisions.append(excision)
            version.operation_log.append(Operation("EXCISED", at, by, line))
            self._emit(E.EXCISED, version, at=at, by=by, reason=reason)
        self.operation_log.append(
            Operation("EXCISED", at, by, f"{line} (from {len(pending)} versions)")
        )
        del self.operation_log[:-MAX_DATASET_LOG_LINES]
        return pending

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
                self._drop_candidate(version.id)
                self._emit(E.EVICTED, version, at=at, by=by, reason=reason)

    def _drop_candidate(self, version_id: str) -> None:
        if self.candidate_version_id == version_id:
            self.candidate_version_id = None

    def _emit(
        self,
        kind: EventType,
        version: Version,
        *,
        at: int,
        by: str,
        reason: str | None = None,
        previous: str | None = None,
        diff: DiffSummary | None = None,
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
                candidate_version_id=self.candidate_version_id,
                diff=diff.to_dict() if diff is not None else None,
                layers=version.layers,
            )
        )
