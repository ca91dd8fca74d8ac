"""/v1/audit: page through the audit log, and have the server check its chain (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.entrypoints.api.access import require
from optimus.entrypoints.api.openapi_errors import error_responses
from optimus.entrypoints.api.request_input import services
from optimus.entrypoints.api.response_schemas import AuditPageBody, ChainCheckBody
from optimus.entrypoints.api.responses import json_response

router = APIRouter(tags=["audit"])

# `admin` on this name is `admin` on every dataset (a glob that matches "*" is "*" itself).
EVERY_DATASET = "*"
# A cursor is a record's position: a 64-bit integer (the next one is written to JSON).
_LARGEST_CURSOR = 2**63 - 1


@router.get(
    "/audit",
    summary="Records of the audit log, oldest first (admin)",
    response_model=AuditPageBody,
    responses=error_responses(400),
)
async def read_audit(
    request: Request,
    dataset: str | None = Query(None, description="Only records about this dataset."),
    since: int | None = Query(
        None, ge=0, le=2**62, description="Only records at or after this epoch ms."
    ),
    limit: int = Query(100, ge=1, le=1000),
    cursor: int = Query(
        0, ge=0, le=_LARGEST_CURSOR, description="The next-cursor of the previous page."
    ),
) -> Response:
    require(request, Role.ADMIN, dataset or EVERY_DATASET)
    records, next_cursor = await services(request).audit.page(
        cursor=cursor, limit=limit, dataset=dataset, since=since
    )
    return json_response({"records": [r.as_dict() for r in records], "next-cursor": next_cursor})


@router.get(
    "/audit/verify",
    summary="Check the audit log's hash chain (admin)",
    response_model=ChainCheckBody,
)
async def verify_audit(request: Request) -> Response:
    require(request, Role.ADMIN, EVERY_DATASET)
    return json_response((await services(request).audit.verify()).as_dict())
