"""What the API answers about datasets, versions and reads, as typed values.

Each model keeps the whole JSON body in `raw`, so fields the server adds
later are reachable before the client learns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FINAL_SAVE_STATES = frozenset({"SAVED", "PUBLISHING", "PUBLISHED", "FAILED", "DISCARDED"})


@dataclass(frozen=True, slots=True)
class Operation:
    action: str
    at: int
    by: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """A version as listed in a dataset."""

    id: str
    sequence: int
    status: str
    label: str | None
    created_at: int

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> VersionSummary:
        return cls(
            id=body["id"],
            sequence=body["sequence"],
            status=body["status"],
            label=body.get("label"),
            created_at=body["created-at"],
        )


@dataclass(frozen=True, slots=True)
class Version:
    id: str
    dataset: str
    sequence: int
    status: str
    label: str | None
    created_at: int
    counts: dict[str, int] | None
    entries: int | None
    digest: str | None
    operation_log: list[Operation]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Version:
        return cls(
            id=body["id"],
            dataset=body["dataset"],
            sequence=body["sequence"],
            status=body["status"],
            label=body.get("label"),
            created_at=body["created-at"],
            counts=body.get("counts"),
            entries=body.get("entries"),
            digest=body.get("digest"),
            operation_log=[Operation(**op) for op in body.get("operation-log", [])],
            raw=body,
        )


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    tables: list[str]
    content_type: str
    eviction_policy: dict[str, Any]
    active_version: VersionSummary | None
    available_versions: list[VersionSummary]
    raw: dict[str, Any] = field(repr=False, compare=False)
    # The staged version that readers of the candidate track get, if any.
    candidate_version: VersionSummary | None = None

    @property
    def active_version_id(self) -> str | None:
        return self.active_version.id if self.active_version else None

    @property
    def candidate_version_id(self) -> str | None:
        return self.candidate_version.id if self.candidate_version else None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Dataset:
        active = body.get("active-version")
        candidate = body.get("candidate-version")
        return cls(
            name=body["name"],
            tables=list(body["tables"]),
            content_type=body["content-type"],
            eviction_policy=body.get("eviction-policy", {}),
            active_version=VersionSummary.from_json(active) if active else None,
            available_versions=[
                VersionSummary.from_json(v) for v in body.get("available-versions", [])
            ],
            raw=body,
            candidate_version=VersionSummary.from_json(candidate) if candidate else None,
        )


@dataclass(frozen=True, slots=True)
class Entries:
    """Many keys read from one version: found values, and the keys it does not have."""

    version_id: str
    values: dict[str, Any]
    missing: list[str]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __contains__(self, key: object) -> bool:
        return key in self.values

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, slots=True)
class Pulled:
    """The answer of a pull: one shaped value (None: no such key) per key asked, in order."""

    version_id: str
    keys: list[str]
    values: list[Any]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Pulled:
        results = body["results"]
        return cls(body["version"], [r["key"] for r in results], [r["value"] for r in results])

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(self.keys, self.values, strict=True))
