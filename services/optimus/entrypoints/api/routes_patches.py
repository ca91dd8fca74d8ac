"""/v1/datasets/{dataset}/tables/{table}/retract: remove keys from a patch version."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.entrypoints.api.access import require
from optimus.entrypoints.api.request_input import json_body, required_version_id, services
from optimus.entrypoints.api.responses import ack, json_response

router = APIRouter(tags=["entries"])

_KEYS = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"key": {"type": "string"}},
                        "required": ["key"],
                    },
                }
            }
        },
    }
}


@router.post(
    "/datasets/{dataset}/tables/{table}/retract",
    status_code=201,
    summary="Remove keys of the base from a patch version that is AWAITING_ENTRIES",
    description="A patch version (POST /versions with a base) starts with its base's entries; "
    "the keys retracted here are absent from it once saved. A retraction wins over a load of "
    "the same key into the same patch.",
    openapi_extra=_KEYS,
)
async def retract_entries(
    dataset: str,
    table: str,
    request: Request,
    version_id: str | None = Query(None, alias="version-id", description="The patch version."),
) -> Response:
    chosen = required_version_id(version_id, None)
    items = await json_body(request)
    require(request, Role.LOADER, dataset)
    retracted = await services(request).loader.retract(dataset, chosen, table, items)
    return json_response(ack("keys retracted", **{"items-retracted": retracted}), 201)
