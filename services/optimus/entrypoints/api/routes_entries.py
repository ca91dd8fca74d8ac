"""/v1/datasets/{dataset}/…: load entries into a version, read them back."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from optimus.domain.errors import InvalidInput
from optimus.entrypoints.api.entry_responses import Rendered, render_entries, render_entry
from optimus.entrypoints.api.requests import (
    json_body,
    keys_to_read,
    read_body,
    required_version_id,
    services,
)
from optimus.entrypoints.api.responses import ack, json_response

router = APIRouter(tags=["entries"])


def _schema(properties: dict, required: list[str], *, array: bool = True) -> dict:
    item = {"type": "object", "properties": properties, "required": required}
    schema = {"type": "array", "items": item} if array else item
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


_KEY = {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"}
_VALUE: dict = {"description": "any JSON (a string for non-JSON content types)"}
_TABLE_ENTRIES = _schema({"key": _KEY, "value": _VALUE}, ["key", "value"])
_DATASET_ENTRIES = _schema({"table": _KEY, "key": _KEY, "value": _VALUE}, ["table", "key", "value"])
_ONE_VALUE = _schema({"value": _VALUE}, ["value"], array=False)
_KEYS = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"key": _KEY}},
                }
            }
        },
    }
}

VersionIdQuery = Query(None, alias="version-id", description="The version to load into.")
VersionQuery = Query(None, description="Same as version-id (Optimus documents both).")
PinQuery = Query(
    None, alias="version-id", description="Read this version instead of the active one."
)
AsOfQuery = Query(
    None,
    alias="as-of",
    description="An RFC 3339 time: read the version that was published then "
    "(404 not-published-then before the first publish, 410 if it is purged).",
)


def _response(rendered: Rendered) -> Response:
    return Response(
        rendered.body, rendered.status, rendered.headers, media_type=rendered.content_type
    )


async def _load(
    request: Request, dataset: str, version_id: str, items: object, table: str | None
) -> Response:
    written = await services(request).loader.load(dataset, version_id, items, table=table)
    return json_response(
        ack("data loaded", **{"items-accepted": written, "items-rejected": 0}), 201
    )


@router.post(
    "/datasets/{dataset}",
    status_code=201,
    summary="Load entries of any tables of the dataset into a version",
    openapi_extra=_DATASET_ENTRIES,
)
async def load_dataset_entries(
    dataset: str,
    request: Request,
    version_id: str | None = VersionIdQuery,
    version: str | None = VersionQuery,
) -> Response:
    chosen = required_version_id(version_id, version)
    return await _load(request, dataset, chosen, await json_body(request), None)


@router.post(
    "/datasets/{dataset}/tables/{table}/entries",
    status_code=201,
    summary="Load entries of one table into a version",
    openapi_extra=_TABLE_ENTRIES,
)
@router.post(
    "/datasets/{dataset}/tables/{table}",
    status_code=201,
    summary="Load entries of one table into a version (Optimus's original path)",
    openapi_extra=_TABLE_ENTRIES,
)
async def load_table_entries(
    dataset: str,
    table: str,
    request: Request,
    version_id: str | None = VersionIdQuery,
    version: str | None = VersionQuery,
) -> Response:
    chosen = required_version_id(version_id, version)
    return await _load(request, dataset, chosen, await json_body(request), table)


@router.post(
    "/datasets/{dataset}/tables/{table}/entries/{key}",
    status_code=201,
    summary="Load one entry into a version",
    openapi_extra=_ONE_VALUE,
)
async def load_one_entry(
    dataset: str,
    table: str,
    key: str,
    request: Request,
    version_id: str | None = VersionIdQuery,
    version: str | None = VersionQuery,
) -> Response:
    chosen = required_version_id(version_id, version)
    body = await json_body(request)
    if not isinstance(body, dict) or "value" not in body:
        raise InvalidInput('the body must be {"value": <value>}')
    return await _load(request, dataset, chosen, [{"key": key, "value": body["value"]}], table)


@router.get(
    "/datasets/{dataset}/tables/{table}/entries/{key}",
    summary="Read one entry, from the active version or the pinned one",
    description="The body is the value, with the dataset's content type. Headers "
    "x-version-id (the version that answered) and x-active-version-id.",
)
async def read_entry(
    dataset: str,
    table: str,
    key: str,
    request: Request,
    version_id: str | None = PinQuery,
    as_of: str | None = AsOfQuery,
) -> Response:
    read = await services(request).reader.read_one(dataset, table, key, version_id, as_of)
    return _response(render_entry(read, key))


@router.get(
    "/datasets/{dataset}/tables/{table}/entries",
    summary="Read many entries from one version",
    description='Keys in a JSON body [{"key": "k1"}, …] as Optimus does, or, for clients '
    "that can't send a GET body, as repeated ?key= parameters.",
    openapi_extra=_KEYS,
)
async def read_entries(
    dataset: str,
    table: str,
    request: Request,
    version_id: str | None = PinQuery,
    key: list[str] | None = Query(None, description="Keys to read, when there is no body."),
    as_of: str | None = AsOfQuery,
) -> Response:
    body = await read_body(request, services(request).max_request_bytes)
    keys = keys_to_read(body, key)
    read = await services(request).reader.read_many(dataset, table, keys, version_id, as_of)
    return _response(render_entries(read))
