"""/v1/datasets/{dataset}/pull: values shaped by a pattern, references followed, one version."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.domain.errors import InvalidInput
from optimus.domain.pull import MAX_DEPTH, MAX_PULLED_VALUES, MAX_RECURSE, MAX_ROOT_KEYS, MAX_SPECS
from optimus.entrypoints.api.access import principal, require
from optimus.entrypoints.api.entry_responses import version_names
from optimus.entrypoints.api.request_input import json_body, parse_json, services
from optimus.entrypoints.api.response_schemas import NAME_PATTERN
from optimus.entrypoints.api.responses import json_response
from optimus.service_layer.pulls import Pulled, PullReader

router = APIRouter(tags=["entries"])

_DESCRIPTION = f"""\
One result per key, all from one version (named in x-version-id). A pattern is a
list of specs: a field name (a dotted path nests), "*" for every field, or
{{"<field>": {{options}}}} with "as", "limit", "default", and "table" + "pattern"
to follow the key (or keys) the field holds into another table, or "recurse": N
to follow a self-reference with the enclosing pattern. Limits (400 beyond):
{MAX_ROOT_KEYS} keys, {MAX_SPECS} specs, patterns nested {MAX_DEPTH} deep,
recursion {MAX_RECURSE} levels, {MAX_PULLED_VALUES} values read in all. See docs/reads.md.
"""
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["table", "keys", "pattern"],
                    "properties": {
                        "table": {"type": "string"},
                        "keys": {"type": "array", "items": {"type": "string"}},
                        "pattern": {"type": "array"},
                        "version-id": {"type": "string"},
                    },
                },
                "example": {
                    "table": "users",
                    "keys": ["u1"],
                    "pattern": ["name", {"items": {"table": "items", "pattern": ["title"]}}],
                },
            }
        },
    }
}
AsOfQuery = Query(
    None,
    alias="as-of",
    min_length=1,
    json_schema_extra={"format": "date-time"},
    description="An RFC 3339 time: pull from the version that was published then "
    "(404 not-published-then before the first publish, 410 if it is purged).",
)
_FIELDS = frozenset({"table", "keys", "pattern", "version-id", "track"})


def _answer(pulled: Pulled) -> Response:
    results = [
        {"key": key, "value": value} for key, value in zip(pulled.keys, pulled.results, strict=True)
    ]
    body = {"status": "OK", "version": pulled.version_id, "results": results}
    return json_response(body, 200, version_names(pulled.view, pulled.version_id))


@router.post(
    "/datasets/{dataset}/pull",
    summary="Pull values shaped by a pattern, following references across tables",
    description=_DESCRIPTION,
    openapi_extra=_BODY,
)
async def pull(dataset: str, request: Request, as_of: str | None = AsOfQuery) -> Response:
    require(request, Role.READER, dataset)  # a read, sent by POST
    body = await json_body(request)
    if not isinstance(body, dict) or not {"table", "keys", "pattern"} <= body.keys():
        raise InvalidInput('the body must be {"table": …, "keys": […], "pattern": […]}')
    unknown = sorted(body.keys() - _FIELDS)
    if unknown:
        raise InvalidInput(f"unknown fields {unknown}", allowed=sorted(_FIELDS))
    if not isinstance(body["table"], str):
        raise InvalidInput("table must be a table name", field="table")
    version_id, track = body.get("version-id"), body.get("track")
    if version_id is not None and not isinstance(version_id, str):
        raise InvalidInput("version-id must be a string")
    pulled = await PullReader(services(request).reader).pull(
        dataset,
        body["table"],
        body["keys"],
        body["pattern"],
        version_id,
        as_of,
        track=track,
        reader=principal(request),
    )
    return _answer(pulled)


@router.get(
    "/datasets/{dataset}/pull",
    summary="Pull, for clients that can't POST a read: the pattern as JSON in ?pattern=",
    description=_DESCRIPTION,
)
async def pull_by_get(
    dataset: str,
    request: Request,
    table: str = Query(..., json_schema_extra={"pattern": NAME_PATTERN}),
    key: list[str] = Query(..., description="The root keys, repeated."),
    pattern: str = Query(
        ..., min_length=1, description='The pattern as JSON, e.g. ["name","tags"].'
    ),
    version_id: str | None = Query(None, alias="version-id"),
    as_of: str | None = AsOfQuery,
    track: str | None = Query(None, description="candidate: read the staged candidate."),
) -> Response:
    pulled = await PullReader(services(request).reader).pull(
        dataset,
        table,
        key,
        parse_json(pattern.encode()),
        version_id,
        as_of,
        track=track,
        reader=principal(request),
    )
    return _answer(pulled)
