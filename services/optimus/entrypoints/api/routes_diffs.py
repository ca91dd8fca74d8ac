"""/v1/versions/{id}/diff: what a version changes against another (by default the active one)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.domain.dataset import is_json
from optimus.entrypoints.api.access import principal, require_on_version
from optimus.entrypoints.api.openapi_errors import error_responses
from optimus.entrypoints.api.request_input import services
from optimus.entrypoints.api.response_schemas import DiffPageBody, DiffSummaryBody
from optimus.entrypoints.api.responses import json_response
from optimus.service_layer.diffs import DiffPage, ListedChange

router = APIRouter(tags=["diffs"])


@router.get(
    "/versions/{version_id}/diff",
    summary="Counts of added, removed, changed and unchanged keys, per table and in total",
    description="`against` defaults to the dataset's active version. Both versions must be "
    "readable (SAVED or PUBLISHED): 404 for an unknown version, 410 for a purged one.",
    response_model=DiffSummaryBody,
    responses=error_responses(400, 404, 409, 410),
)
async def diff_summary(version_id: str, request: Request, against: str | None = None) -> Response:
    await require_on_version(request, Role.READER, version_id)
    summary = await services(request).diffs.summary(version_id, against)
    return json_response({"status": "OK", **summary.to_dict()})


@router.get(
    "/versions/{version_id}/diff/entries",
    summary="The changed keys, in table then key order, a page at a time",
    description="`change` is added, removed or changed (default: all three); `table` limits "
    "the listing to one table; `limit` is 1..1000 (default 100). Pass the `cursor` of a page "
    "to get the next one; the last page has none.",
    response_model=DiffPageBody,
    responses=error_responses(400, 404, 409, 410),
)
async def diff_entries(
    version_id: str,
    request: Request,
    against: str | None = None,
    table: str | None = None,
    change: str | None = None,
    limit: str | None = None,
    cursor: str | None = None,
) -> Response:
    await require_on_version(request, Role.READER, version_id)
    page = await services(request).diffs.page(
        version_id,
        against,
        table=table,
        change=change,
        limit=limit,
        cursor=cursor,
        reader=principal(request),
    )
    return json_response(_page_body(page))


def _page_body(page: DiffPage) -> dict[str, Any]:
    as_json = is_json(page.content_type)

    def shown(value: bytes | None) -> Any:
        if value is None:
            return None
        return orjson.Fragment(value) if as_json else value.decode()

    def entry(listed: ListedChange) -> dict[str, Any]:
        body: dict[str, Any] = {"table": listed.table, "key": listed.key, "change": listed.change}
        if listed.old is not None:
            body["old"] = shown(listed.old)
        if listed.new is not None:
            body["new"] = shown(listed.new)
        return body

    return {
        "status": "OK",
        "version": page.version_id,
        "against": page.against,
        "entries": [entry(listed) for listed in page.entries],
        "cursor": page.cursor,
    }
