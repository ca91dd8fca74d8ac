"""Request bodies of the small endpoints (the bulk entry bodies are parsed by hand, for speed)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from optimus.domain.bounds import MAX_RETAINED_VERSIONS
from optimus.domain.dataset import DEFAULT_CONTENT_TYPE, MAX_TABLES
from optimus.domain.excision import MAX_EXCISED_KEYS
from optimus.domain.gates import BOUNDS, FRACTIONS
from optimus.domain.hooks import MAX_HOOKS, MAX_TIMEOUT_MS
from optimus.entrypoints.api.response_schemas import KEY_PATTERN, NAME_PATTERN

# Counts and version numbers in policies are at most this: well within the integers that
# every JSON reader (and JSON Schema validator) holds exactly.
_LARGEST_INT = 10**15


def _integral(value: Any) -> Any:
    """JSON has one number type: 2.0 is the integer 2 (as JSON Schema's `integer` has it)."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= _LARGEST_INT:
        return int(value)
    if isinstance(value, int) and abs(value) > _LARGEST_INT:
        raise ValueError(f"integers here are at most {_LARGEST_INT}")
    return value


def _integral_numbers_as_ints(policy: Any) -> Any:
    """A policy's counts as integers; fields it does not know are left as they are."""
    if not isinstance(policy, dict):
        return policy
    policy = dict(policy)
    for name in ("count", "versions"):
        if name in policy:
            policy[name] = _integral(policy[name])
    if isinstance(policy.get("counts"), dict):
        policy["counts"] = {table: _integral(n) for table, n in policy["counts"].items()}
    return policy


JsonIntegers = BeforeValidator(_integral_numbers_as_ints)


def _integral_bounds(gates: Any) -> Any:
    """The entry bounds of publish gates as integers (fractions are any number)."""
    if not isinstance(gates, dict):
        return gates
    return {name: _integral(limit) if name in BOUNDS else limit for name, limit in gates.items()}


def _integral_timeouts(hooks: Any) -> Any:
    """Each publish hook's timeout-ms as an integer."""
    if not isinstance(hooks, list):
        return hooks
    return [
        {**hook, "timeout-ms": _integral(hook["timeout-ms"])}
        if isinstance(hook, dict) and "timeout-ms" in hook
        else hook
        for hook in hooks
    ]


# The domain validates these bodies (one set of rules and messages); the schemas below
# only describe them, so that a client generated from the document sends valid ones.
_NAME = {"type": "string", "pattern": NAME_PATTERN}
_COUNT = {"type": "integer", "minimum": 0, "maximum": _LARGEST_INT}
_VERIFICATION_POLICY = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"strategy": {"const": "count"}, "count": _COUNT},
            "required": ["strategy", "count"],
        },
        {
            "type": "object",
            "properties": {
                "strategy": {"const": "table-counts"},
                "counts": {"type": "object", "minProperties": 1, "additionalProperties": _COUNT},
            },
            "required": ["strategy", "counts"],
        },
        {
            "type": "object",
            "properties": {
                "strategy": {"const": "digest"},
                "digest": {"type": "string", "minLength": 1},
            },
            "required": ["strategy", "digest"],
        },
        {"type": "null"},
    ]
}
VerificationPolicy = Annotated[
    dict[str, Any] | None, JsonIntegers, WithJsonSchema(_VERIFICATION_POLICY)
]
_EVICTION_POLICY = {
    "oneOf": [
        {
            "type": "object",
            "properties": {
                "type": {"enum": ["keep-last-x-versions", "KEEP_LAST_X_VERSIONS"]},
                "versions": {"type": "integer", "minimum": 1, "maximum": MAX_RETAINED_VERSIONS},
            },
            "required": ["type", "versions"],
        },
        {"type": "null"},
    ]
}
_PUBLISH_GATES = {
    "oneOf": [
        {
            "type": "object",
            "properties": {
                **{name: {"type": "number", "minimum": 0, "maximum": 1} for name in FRACTIONS},
                **{name: _COUNT for name in BOUNDS},
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
        {"type": "null"},
    ]
}
PublishGatesBody = Annotated[
    dict[str, Any] | None, BeforeValidator(_integral_bounds), WithJsonSchema(_PUBLISH_GATES)
]
_PUBLISH_HOOK = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "pattern": "^https?://"},
        "app-id": {"type": "string", "minLength": 1},
        "method": {"type": "string", "minLength": 1},
        "timeout-ms": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_MS},
    },
    # A url, or (on the Dapr host) an app-id and a method; a url wins when both are given.
    "anyOf": [{"required": ["url"]}, {"required": ["app-id", "method"]}],
}
_PUBLISH_HOOKS = {
    "oneOf": [
        {"type": "array", "items": _PUBLISH_HOOK, "maxItems": MAX_HOOKS},
        {"type": "null"},
    ]
}
# Per table, a JSON Schema: an object (its own validity is checked when it is compiled).
_TABLE_SCHEMAS = {
    "oneOf": [{"type": "object", "additionalProperties": {"type": "object"}}, {"type": "null"}]
}
TableSchemasBody = Annotated[dict[str, Any] | None, WithJsonSchema(_TABLE_SCHEMAS)]
PublishHooksBody = Annotated[
    list[Any] | None, BeforeValidator(_integral_timeouts), WithJsonSchema(_PUBLISH_HOOKS)
]
_MEDIA_TYPE = r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[ -~]+)?$"


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class CreateDatasetRequest(_Body):
    name: Annotated[str, WithJsonSchema(_NAME)] = Field(
        examples=["recommendations"], description="[A-Za-z0-9-_.], 1..128 chars"
    )
    tables: Annotated[
        list[str],
        WithJsonSchema(
            {
                "type": "array",
                "items": _NAME,
                "minItems": 1,
                "maxItems": MAX_TABLES,
                "uniqueItems": True,
            }
        ),
    ] = Field(examples=[["items", "users"]])
    content_type: Annotated[str, WithJsonSchema({"type": "string", "pattern": _MEDIA_TYPE})] = (
        Field(
            DEFAULT_CONTENT_TYPE,
            alias="content-type",
            description="Content-Type of single-key responses; values of JSON types may be any "
            "JSON, values of other types are strings.",
        )
    )
    eviction_policy: Annotated[
        dict[str, Any] | None, JsonIntegers, WithJsonSchema(_EVICTION_POLICY)
    ] = Field(
        None,
        alias="eviction-policy",
        examples=[{"type": "keep-last-x-versions", "versions": 10}],
        description="How many saved versions to keep (default 10); the published one is kept.",
    )
    masking: dict[str, list[str]] | None = Field(
        None,
        examples=[{"users": ["email", "address.street"]}],
        description="Per table, fields of JSON values that only callers with role unmask see.",
    )
    publish_gates: PublishGatesBody = Field(
        None,
        alias="publish-gates",
        examples=[{"max-removed-fraction": 0.05, "min-entries": 1000}],
        description="Checked on save and before publish: max-added-fraction, "
        "max-removed-fraction, max-changed-fraction (of the active version's entries, per "
        "table and in total), min-entries, max-entries.",
    )
    schemas: TableSchemasBody = Field(
        None,
        examples=[{"items": {"type": "object", "required": ["score"]}}],
        description="A JSON Schema (draft 2020-12) per table, for JSON datasets: every entry "
        "loaded into the table is validated; a batch with an invalid entry is refused whole.",
    )
    publish_hooks: PublishHooksBody = Field(
        None,
        alias="publish-hooks",
        examples=[[{"url": "http://checks.internal/optimus", "timeout-ms": 2000}]],
        description="Asked before every publish (not a rollback): each gets a POST with the "
        "dataset, the version, the active version and the diff summary, and answers "
        '{"decision": "proceed" | "abort" | "wait", "message": …}. An error or a timeout '
        "is an abort. On the Dapr host a hook may be an app-id and a method instead of a url.",
    )
    load_timeout_seconds: Any = Field(
        None,
        alias="load-timeout-seconds",
        json_schema_extra={"type": "integer", "minimum": 1, "maximum": 2_592_000},
        examples=[3600],
        description="A version AWAITING_ENTRIES that gets no new batch for this long becomes "
        "FAILED and its entries are deleted (default: the server's --load-timeout-seconds).",
    )


class CreateVersionRequest(_Body):
    dataset: Annotated[str, WithJsonSchema(_NAME)] = Field(examples=["recommendations"])
    label: Annotated[str | None, WithJsonSchema({"oneOf": [_NAME, {"type": "null"}]})] = Field(
        None, examples=["v1-2017-01-02"]
    )
    verification_policy: VerificationPolicy = Field(
        None,
        alias="verification-policy",
        examples=[{"strategy": "count", "count": 5}],
        description="Checked on save: `count` (total entries), `table-counts` "
        "({counts: {table: n}}) or `digest` (the content digest the producer computed).",
    )
    publish_gates: PublishGatesBody = Field(
        None,
        alias="publish-gates",
        examples=[{"max-removed-fraction": 0.05, "min-entries": 1000}],
        description="Replaces the dataset's publish gates for this version: max-added-fraction, "
        "max-removed-fraction, max-changed-fraction (of the active version's entries, per "
        "table and in total), min-entries, max-entries.",
    )
    schemas: TableSchemasBody = Field(
        None,
        examples=[{"items": {"type": "object", "required": ["score"]}}],
        description="Schemas replacing the dataset's for some tables, in this version "
        "(schema evolution is explicit).",
    )
    base: str | None = Field(
        None,
        description="A patch version: starts with exactly this SAVED or PUBLISHED version's "
        "entries (not copied); loads add or replace entries, retractions remove keys.",
    )
    reason: str | None = Field(None, description="Why; recorded in the operation log.")


class TransitionRequest(_Body):
    reason: str | None = Field(None, description="Why; recorded in the operation log.")


class PublishRequest(TransitionRequest):
    force: bool = Field(
        False, description="Publish even though the publish gates failed (a reason is required)."
    )


class SaveRequest(TransitionRequest):
    verification_policy: VerificationPolicy = Field(
        None,
        alias="verification-policy",
        examples=[{"strategy": "digest", "digest": "blake2b-sum:…"}],
        description="Replaces the policy given at creation: the producer may know the count "
        "or digest of its input only once it has read it all.",
    )


class ExciseRequest(_Body):
    # Checked by the use case, which answers each missing or bad field with its own code.
    model_config = ConfigDict(json_schema_extra={"required": ["table", "keys", "reason"]})

    table: Any = Field(
        None, json_schema_extra={"type": "string", "pattern": NAME_PATTERN}, examples=["users"]
    )
    keys: Any = Field(
        None,
        json_schema_extra={
            "type": "array",
            "items": {"type": "string", "pattern": KEY_PATTERN},
            "minItems": 1,
            "maxItems": MAX_EXCISED_KEYS,
        },
        examples=[["user-42"]],
        description="The keys to remove from every retained version.",
    )
    reason: Any = Field(
        None,
        # Not blank: at least one character that is not white space.
        json_schema_extra={"type": "string", "pattern": r"\S", "maxLength": 512},
        examples=["erasure request 2026-118"],
        description="Why; kept in the audit log and the operation logs.",
    )
