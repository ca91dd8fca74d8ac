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
    base: str | None = Field(
        None,
        description="A patch version: starts with exactly this SAVED or PUBLISHED version's "
        "entries (not copied); loads add or replace entries, retractions remove keys.",
    )
    reason: str | None = Field(None, description="Why; recorded in the operation log.")


class TransitionRequest(_Body):
    reason: str | None = Field(None, description="Why; recorded in the operation log.")


class SaveRequest(TransitionRequest):
    verification_policy: dict[str, Any] | None = Field(
        None,
        alias="verification-policy",
        examples=[{"strategy": "digest", "digest": "blake2b-sum:…"}],
        description="Replaces the policy given at creation: the producer may know the count "
        "or digest of its input only once it has read it all.",
    )
