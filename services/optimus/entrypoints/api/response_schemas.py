"""Schemas of the API's responses, for the OpenAPI document (bodies are built in `responses`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from optimus.domain.names import MAX_KEY_LENGTH, MAX_NAME_LENGTH
from optimus.domain.version import VersionStatus


def name_pattern(max_length: int) -> str:
    """The name alphabet of `domain.names` as a regex, with "." and ".." excluded without
    a lookahead (schema-driven generators such as schemathesis do not all support one)."""
    return (
        rf"^([A-Za-z0-9_-][A-Za-z0-9_.-]{{0,{max_length - 1}}}"
        rf"|\.[A-Za-z0-9_-][A-Za-z0-9_.-]{{0,{max_length - 2}}}"
        rf"|\.\.[A-Za-z0-9_.-]{{1,{max_length - 2}}})$"
    )


NAME_PATTERN = name_pattern(MAX_NAME_LENGTH)
KEY_PATTERN = name_pattern(MAX_KEY_LENGTH)

Status = Literal[tuple(str(status) for status in VersionStatus)]  # type: ignore[valid-type]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")


class ErrorBody(_Body):
    status: Literal["error"]
    message: str
    code: str = Field(description="Stable, machine-readable: not-found, invalid-input, …")


class Ack(_Body):
    status: Literal["OK"]
    message: str


class DatasetCreated(Ack):
    dataset: str


class EntriesLoaded(Ack):
    items_accepted: int = Field(alias="items-accepted")
    items_rejected: int = Field(alias="items-rejected")


class Operation(_Body):
    action: str
    at: int = Field(description="Epoch milliseconds.")
    by: str
    reason: str | None


class VersionSummary(_Body):
    id: str
    created_at: int = Field(alias="created-at")
    label: str | None
    sequence: int
    status: Status


class ExcisionSummary(_Body):
    at: int = Field(description="Epoch milliseconds.")
    by: str
    reason: str
    table: str
    keys: int = Field(description="How many keys it removed (their hashes are in the audit log).")


class VersionBody(_Body):
    id: str
    version: str
    dataset: str
    label: str | None
    sequence: int
    status: Status
    created_at: int = Field(alias="created-at")
    counts: dict[str, int] | None
    entries: int | None
    digest: str | None
    operation_log: list[Operation] = Field(alias="operation-log")
    verification_policy: dict[str, Any] | None = Field(None, alias="verification-policy")
    excisions: list[ExcisionSummary] | None = Field(
        None,
        description="Present once keys were excised from the version: each excision that "
        "reached it; its counts and digest are those of the entries that remain.",
    )


class ExcisionDoneBody(Ack):
    dataset: str
    table: str
    keys: int
    key_hashes: list[str] = Field(alias="key-hashes", description="SHA-256 of each key, hex.")
    versions: list[str] = Field(description="Versions recounted, newest first.")
    layers: list[str] = Field(
        description="Versions whose stored entries were deleted (patch layers and "
        "discarded versions not yet purged included)."
    )


class VersionAck(Ack):
    id: str
    version: VersionBody


class DatasetBody(_Body):
    name: str
    content_type: str = Field(alias="content-type")
    eviction_policy: dict[str, Any] = Field(alias="eviction-policy")
    tables: list[str]
    created_at: int = Field(alias="created-at")
    revision: int
    active_version: VersionSummary | None = Field(alias="active-version")
    available_versions: list[VersionSummary] = Field(alias="available-versions")
    operation_log: list[Operation] = Field(alias="operation-log")


class EntriesBody(_Body):
    status: Literal["OK"]
    keys_found: int = Field(alias="keys-found")
    keys_missing: int = Field(alias="keys-missing")
    data: dict[str, Any] = Field(description="The values found, by key.")


class ChangeCountsBody(_Body):
    added: int
    removed: int
    changed: int
    unchanged: int


class DiffSummaryBody(_Body):
    status: Literal["OK"]
    version: str
    against: str
    tables: dict[str, ChangeCountsBody]
    total: ChangeCountsBody


class ListedChangeBody(_Body):
    table: str
    key: str
    change: Literal["added", "removed", "changed"]
    old: Any = Field(None, description="The value in `against` (absent when added).")
    new: Any = Field(None, description="The value in the version (absent when removed).")


class DiffPageBody(_Body):
    status: Literal["OK"]
    version: str
    against: str
    entries: list[ListedChangeBody]
    cursor: str | None = Field(description="Pass it to get the next page; null on the last.")


class KeyInVersionBody(_Body):
    version: str
    sequence: int
    status: Status
    label: str | None
    published_at: int | None = Field(alias="published-at")
    present: bool
    excised: bool | None = Field(None, description="true when an excision removed the key.")
    value: Any = Field(None, description="The key's value in the version (absent if not present).")


class KeyHistoryBody(_Body):
    status: Literal["OK"]
    dataset: str
    table: str
    key: str
    versions: list[KeyInVersionBody]


class AuditRecordBody(_Body):
    sequence: int
    at: int = Field(description="Epoch milliseconds.")
    principal: str
    action: str = Field(description='The route called, e.g. "POST /v1/versions/{id}/publish".')
    status: int = Field(description="The HTTP status answered.")
    outcome: Literal["done", "refused", "conflict", "failed"]
    request_id: str
    dataset: str | None
    version: str | None
    table: str | None
    details: dict[str, Any] | None
    previous_hash: str = Field(alias="previous-hash")
    hash: str


class AuditPageBody(_Body):
    records: list[AuditRecordBody]
    next_cursor: int = Field(alias="next-cursor")


class ChainCheckBody(_Body):
    ok: bool
    records: int
    first_broken: int | None = Field(alias="first-broken")
    reason: str | None
