"""Request bodies of the small endpoints (the bulk entry bodies are parsed by hand, for speed)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from optimus.domain.dataset import DEFAULT_CONTENT_TYPE


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class CreateDatasetRequest(_Body):
    name: str = Field(examples=["recommendations"], description="[A-Za-z0-9-_.], 1..128 chars")
    tables: list[str] = Field(examples=[["items", "users"]])
    content_type: str = Field(
        DEFAULT_CONTENT_TYPE,
        alias="content-type",
        description="Content-Type of single-key responses; values of JSON types may be any JSON, "
        "values of other types are strings.",
    )
    eviction_policy: dict[str, Any] | None = Field(
        None,
        alias="eviction-policy",
        examples=[{"type": "keep-last-x-versions", "versions": 10}],
        description="How many saved versions to keep (default 10); the published one is kept.",
    )
    publish_gates: dict[str, Any] | None = Field(
        None,
        alias="publish-gates",
        examples=[{"max-removed-fraction": 0.05, "min-entries": 1000}],
        description="Checked on save and before publish: max-added-fraction, "
        "max-removed-fraction, max-changed-fraction (of the active version's entries, per "
        "table and in total), min-entries, max-entries.",
    )
    schemas: dict[str, Any] | None = Field(
        None,
        examples=[{"items": {"type": "object", "required": ["score"]}}],
        description="A JSON Schema (draft 2020-12) per table, for JSON datasets: every entry "
        "loaded into the table is validated; a batch with an invalid entry is refused whole.",
    )
    publish_hooks: list[Any] | None = Field(
        None,
        alias="publish-hooks",
        examples=[[{"url": "http://checks.internal/optimus", "timeout-ms": 2000}]],
        description="Asked before every publish (not a rollback): each gets a POST with the "
        "dataset, the version, the active version and the diff summary, and answers "
        '{"decision": "proceed" | "abort" | "wait", "message": …}. An error or a timeout '
        "is an abort. On the Dapr host a hook may be an app-id and a method instead of a url.",
    )


class CreateVersionRequest(_Body):
    dataset: str = Field(examples=["recommendations"])
    label: str | None = Field(None, examples=["v1-2017-01-02"])
    verification_policy: dict[str, Any] | None = Field(
        None,
        alias="verification-policy",
        examples=[{"strategy": "count", "count": 5}],
        description="Checked on save: `count` (total entries), `table-counts` "
        "({counts: {table: n}}) or `digest` (the content digest the producer computed).",
    )
    publish_gates: dict[str, Any] | None = Field(
        None,
        alias="publish-gates",
        examples=[{"max-removed-fraction": 0.05, "min-entries": 1000}],
        description="Replaces the dataset's publish gates for this version: max-added-fraction, "
        "max-removed-fraction, max-changed-fraction (of the active version's entries, per "
        "table and in total), min-entries, max-entries.",
    )
    schemas: dict[str, Any] | None = Field(
        None,
        examples=[{"items": {"type": "object", "required": ["score"]}}],
        description="Schemas replacing the dataset's for some tables, in this version "
        "(schema evolution is explicit).",
    )


class TransitionRequest(_Body):
    reason: str | None = Field(None, description="Why; recorded in the operation log.")


class PublishRequest(TransitionRequest):
    force: bool = Field(
        False, description="Publish even though the publish gates failed (a reason is required)."
    )


class SaveRequest(TransitionRequest):
    verification_policy: dict[str, Any] | None = Field(
        None,
        alias="verification-policy",
        examples=[{"strategy": "digest", "digest": "blake2b-sum:…"}],
        description="Replaces the policy given at creation: the producer may know the count "
        "or digest of its input only once it has read it all.",
    )
