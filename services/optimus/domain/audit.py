"""The audit log's records and their hash chain (pure).

Each record carries the hash of the one before it, and its own hash covers all
its fields: editing, deleting, inserting or reordering any record breaks the
chain at that record, which `first_broken` names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import orjson

GENESIS = "0" * 64  # the "previous hash" of the first record


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What happened, before it has a place in the chain."""

    at: int  # epoch ms
    principal: str
    action: str  # e.g. "POST /v1/versions/{id}/publish"
    status: int  # the HTTP status answered
    outcome: str  # "done", "refused" (401/403), "conflict" (409), "failed" (other 4xx/5xx)
    request_id: str
    dataset: str | None = None
    version: str | None = None
    table: str | None = None
    details: dict[str, Any] | None = None  # e.g. an excision's key hashes


@dataclass(frozen=True, slots=True)
class AuditRecord:
    sequence: int
    entry: AuditEntry
    previous_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            **asdict(self.entry),
            "previous-hash": self.previous_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditRecord:
        fields = {k: data.get(k) for k in AuditEntry.__dataclass_fields__}
        return cls(int(data["sequence"]), AuditEntry(**fields), data["previous-hash"], data["hash"])


def outcome_of(status: int) -> str:
    if status < 400:
        return "done"
    if status in (401, 403):
        return "refused"
    return "conflict" if status == 409 else "failed"


def record_hash(sequence: int, entry: AuditEntry, previous_hash: str) -> str:
    content = {"sequence": sequence, **asdict(entry), "previous-hash": previous_hash}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def chained(sequence: int, entry: AuditEntry, previous_hash: str) -> AuditRecord:
    return AuditRecord(sequence, entry, previous_hash, record_hash(sequence, entry, previous_hash))


@dataclass(frozen=True, slots=True)
class ChainCheck:
    records: int
    first_broken: int | None = None  # sequence (or position, if unreadable) of the first bad one
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken is None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "records": self.records, "first-broken": self.first_broken,
                "reason": self.reason}  # fmt: skip


def check_chain(records: Iterable[AuditRecord]) -> ChainCheck:
    previous = GENESIS
    count = 0
    for expected, record in enumerate(records, start=1):
        count = expected
        if record.sequence != expected:
            return ChainCheck(count, expected, f"record {expected} is missing or out of place")
        if record.previous_hash != previous:
            return ChainCheck(count, expected, "its previous-hash is not the previous record's")
        if record_hash(record.sequence, record.entry, record.previous_hash) != record.hash:
            return ChainCheck(count, expected, "its content does not match its hash")
        previous = record.hash
    return ChainCheck(count)
