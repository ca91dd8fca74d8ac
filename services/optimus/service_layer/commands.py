"""Commands on one dataset's state machine.

Both hosts run a command the same way: take the dataset's aggregate, call
`apply`, persist the aggregate, publish the events it raised. Commands are
plain data so the Dapr host can carry them to the dataset's actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimus.domain.dataset import Dataset
from optimus.domain.diff import DiffSummary
from optimus.domain.digest import EntryStats, stats_from
from optimus.domain.events import VersionEvent
from optimus.domain.gates import parse_publish_gates
from optimus.domain.hooks import Decision, HookAnswer
from optimus.domain.policies import parse_verification_policy
from optimus.domain.version import Version

SYSTEM = "optimus"


@dataclass(frozen=True, slots=True)
class CreateVersion:
    version_id: str
    label: str | None = None
    verification_policy: dict[str, Any] | None = None
    by: str = SYSTEM
    publish_gates: dict[str, Any] | None = None
    schemas: dict[str, Any] | None = None
    # A patch version: the version it starts from, and why it is made.
    base: str | None = None
    reason: str | None = None

    def apply(self, dataset: Dataset, at: int) -> Version:
        return dataset.create_version(
            self.version_id,
            label=self.label,
            verification_policy=parse_verification_policy(self.verification_policy),
            publish_gates=parse_publish_gates(self.publish_gates),
            schemas=self.schemas,
            at=at,
            by=self.by,
            base=self.base,
            reason=self.reason,
        )


@dataclass(frozen=True, slots=True)
class BeginSave:
    version_id: str
    by: str = SYSTEM
    reason: str | None = None
    verification_policy: dict[str, Any] | None = None

    def apply(self, dataset: Dataset, at: int) -> Version:
        dataset.begin_save(
            self.version_id,
            at=at,
            by=self.by,
            reason=self.reason,
            verification_policy=parse_verification_policy(self.verification_policy),
        )
        return dataset.version(self.version_id)


@dataclass(frozen=True, slots=True)
class CompleteSave:
    version_id: str
    counts: dict[str, int]
    digest_sum: int
    by: str = SYSTEM
    # Against the active version, when the save measured one (DiffSummary.to_dict).
    diff: dict[str, Any] | None = None

    def apply(self, dataset: Dataset, at: int) -> Version:
        stats = EntryStats(dict(self.counts), self.digest_sum)
        diff = DiffSummary.from_dict(self.diff) if self.diff is not None else None
        return dataset.complete_save(self.version_id, stats, at=at, by=self.by, diff=diff)


@dataclass(frozen=True, slots=True)
class FailVersion:
    version_id: str
    reason: str
    by: str = SYSTEM

    def apply(self, dataset: Dataset, at: int) -> Version:
        dataset.fail(self.version_id, at=at, by=self.by, reason=self.reason)
        return dataset.version(self.version_id)


@dataclass(frozen=True, slots=True)
class Publish:
    version_id: str
    by: str = SYSTEM
    reason: str | None = None
    force: bool = False
    # Against the active version, when its gates are judged again (DiffSummary.to_dict).
    diff: dict[str, Any] | None = None

    def apply(self, dataset: Dataset, at: int) -> Version:
        diff = DiffSummary.from_dict(self.diff) if self.diff is not None else None
        dataset.publish(
            self.version_id, at=at, by=self.by, reason=self.reason, force=self.force, diff=diff
        )
        return dataset.version(self.version_id)


@dataclass(frozen=True, slots=True)
class RecordHookAnswers:
    version_id: str
    # (hook target, decision, message) of each hook asked, in order.
    answers: list[tuple[str, str, str]]
    by: str = SYSTEM

    def apply(self, dataset: Dataset, at: int) -> Version:
        answers = [
            HookAnswer(hook, Decision(decision), message)
            for hook, decision, message in self.answers
        ]
        dataset.record_hook_answers(self.version_id, answers, at=at, by=self.by)
        return dataset.version(self.version_id)


@dataclass(frozen=True, slots=True)
class Stage:
    version_id: str
    by: str = SYSTEM
    reason: str | None = None

    def apply(self, dataset: Dataset, at: int) -> Version:
        dataset.stage(self.version_id, at=at, by=self.by, reason=self.reason)
        return dataset.version(self.version_id)


@dataclass(frozen=True, slots=True)
class Unstage:
    version_id: str
    by: str = SYSTEM
    reason: str | None = None

    def apply(self, dataset: Dataset, at: int) -> Version:
        dataset.unstage(self.version_id, at=at, by=self.by, reason=self.reason)
        return dataset.version(self.version_id)


@dataclass(frozen=True, slots=True)
class Discard:
    version_id: str
    by: str = SYSTEM
    reason: str | None = None

    def apply(self, dataset: Dataset, at: int) -> Version:
        dataset.discard(self.version_id, at=at, by=self.by, reason=self.reason)
        return dataset.version(self.version_id)


@dataclass(frozen=True, slots=True)
class RecordPurge:
    version_id: str
    by: str = SYSTEM

    def apply(self, dataset: Dataset, at: int) -> Version:
        dataset.record_purge(self.version_id, at=at, by=self.by)
        return dataset.version(self.version_id)


@dataclass(frozen=True, slots=True)
class Excise:
    """Keys of a table removed from every retained version, which these counts and digests
    (per version id, measured without them) now describe."""

    # The newest version reached (what the command answers); the others are in its events.
    version_id: str
    table: str
    key_hashes: list[str]
    counts: dict[str, dict[str, int]]
    digests: dict[str, str]
    reason: str
    by: str = SYSTEM

    def apply(self, dataset: Dataset, at: int) -> Version:
        remaining = {v: stats_from(self.counts[v], self.digests[v]) for v in self.counts}
        dataset.excise(
            self.table, tuple(self.key_hashes), remaining, at=at, by=self.by, reason=self.reason
        )
        return dataset.version(self.version_id)


Command = (
    CreateVersion
    | BeginSave
    | CompleteSave
    | FailVersion
    | Publish
    | RecordHookAnswers
    | Stage
    | Unstage
    | Discard
    | RecordPurge
    | Excise
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did to the aggregate: a host persists only what changed."""

    version: Version
    events: list[VersionEvent]
    # Versions the command added or changed, and versions it dropped from the aggregate.
    changed: frozenset[str]
    forgotten: frozenset[str]


def execute_command(dataset: Dataset, command: Command, at: int) -> Outcome:
    """Apply `command` to `dataset` in place.

    A refused command raises a domain error and leaves the aggregate as it was.
    """
    before = set(dataset.versions)
    try:
        version = command.apply(dataset, at)
    except BaseException:
        dataset.events.clear()
        raise
    events = list(dataset.events)
    dataset.events.clear()
    forgotten = frozenset(before - dataset.versions.keys())
    changed = {command.version_id}
    for event in events:
        changed.update(event.statuses())
    return Outcome(version, events, frozenset(changed - forgotten), forgotten)
