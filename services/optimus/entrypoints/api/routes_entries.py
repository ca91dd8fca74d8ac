"""/v1/datasets/{dataset}/…: load entries into a version (`fast_reads` reads them back)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.domain.errors import InvalidInput
from optimus.entrypoints.api.access import require
from optimus.entrypoints.api.openapi_errors import error_responses
from optimus.entrypoints.api.request_input import (
    entries_body,
    required_version_id,
    services,
)
from optimus.entrypoints.api.response_schemas import KEY_PATTERN, NAME_PATTERN, EntriesLoaded
from optimus.entrypoints.api.responses import ack, json_response

router = APIRouter(tags=["entries"])


def _schema(properties: dict, required: list[str], *, array: bool = True) -> dict:
    item = {"type": "object", "properties": properties, "required": required}
    schema = {"type": "array", "items": item} if array else item
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


_NAME = {"type": "string", "pattern": NAME_PATTERN}
_KEY = {"type": "string", "pattern": KEY_PATTERN}
_VALUE: dict = {"description": "any JSON (a string for non-JSON content types)"}
_TABLE_ENTRIES = _schema({"key": _KEY, "value": _VALUE}, ["key", "value"])
_DATASET_ENTRIES = _schema(
    {"table": _NAME, "key": _KEY, "value": _VALUE}, ["table", "key", "value"]
)
_ONE_VALUE = _schema({"value": _VALUE}, ["value"], array=False)
# Required (`required_version_id`, and so in the document: `openapi`), but either may be
# given: Optimus documents both; the document describes one way to name the version.
VersionIdQuery = Query(None, alias="version-id", description="The version to load into.")
VersionQuery = Query(None, include_in_schema=False)
DatasetPath = Path(json_schema_extra={"pattern": NAME_PATTERN})
TablePath = Path(json_schema_extra={"pattern": NAME_PATTERN})
KeyPath = Path(json_schema_extra={"pattern": KEY_PATTERN})
# What a load answers besides 201: the version may be gone or no longer loading.
_LOAD = {
    "response_model": EntriesLoaded,
    "responses": error_responses(400, 404, 409, 410, 413, 415),
}


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
    **_LOAD,
)
async def load_dataset_entries(
    request: Request,
    dataset: str = DatasetPath,
    version_id: str | None = VersionIdQuery,
    version: str | None = VersionQuery,
) -> Response:
    require(request, Role.LOADER, dataset)
    chosen = required_version_id(version_id, version)
    return await _load(request, dataset, chosen, await entries_body(request), None)


@router.post(
    "/datasets/{dataset}/tables/{table}/entries",
    status_code=201,
    summary="Load entries of one table into a version",
    openapi_extra=_TABLE_ENTRIES,
    **_LOAD,
)
@router.post(
    "/datasets/{dataset}/tables/{table}",
    status_code=201,
    summary="Load entries of one table into a version (Optimus's original path)",
    name="load_table_entries_at_table_path",
    openapi_extra=_TABLE_ENTRIES,
    **_LOAD,
)
async def load_table_entries(
    request: Request,
    dataset: str = DatasetPath,
    table: str = TablePath,
    version_id: str | None = VersionIdQuery,
    version: str | None = VersionQuery,
) -> Response:
    require(request, Role.LOADER, dataset)
    chosen = required_version_id(version_id, version)
    return await _load(request, dataset, chosen, await entries_body(request), table)


@router.post(
    "/datasets/{dataset}/tables/{table}/entries/{key}",
    status_code=201,
    summary="Load one entry into a version",
    openapi_extra=_ONE_VALUE,
    **_LOAD,
)
async def load_one_entry(
    request: Request,
    dataset: str = DatasetPath,
    table: str = TablePath,
    key: str = KeyPath,
    version_id: str | None = VersionIdQuery,
    version: str | None = VersionQuery,
) -> Response:
    require(request, Role.LOADER, dataset)
    chosen = required_version_id(version_id, version)
    body = await entries_body(request)
    if not isinstance(body, dict) or "value" not in body:
        raise InvalidInput('the body must be {"value": <value>}')
    return await _load(request, dataset, chosen, [{"key": key, "value": body["value"]}], table)
