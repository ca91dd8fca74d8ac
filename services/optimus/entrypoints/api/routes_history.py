"""/v1/datasets/{ds}/tables/{t}/entries/{key}/history: a key across the retained versions."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from optimus.domain.dataset import is_json
from optimus.entrypoints.api.access import principal
from optimus.entrypoints.api.openapi_errors import error_responses
from optimus.entrypoints.api.request_input import services
from optimus.entrypoints.api.response_schemas import KeyHistoryBody
from optimus.entrypoints.api.responses import json_response
from optimus.service_layer.history import KeyHistory

router = APIRouter(tags=["entries"])


@router.get(
    "/datasets/{dataset}/tables/{table}/entries/{key}/history",
    summary="The key's value in every retained version, in sequence order",
    description="Each item names the version (id, sequence, status, label, published-at: the "
    "last time it was published, or null) and the key's value in it, or present: false "
    "(and excised: true when an excision removed it from that version).",
    response_model=KeyHistoryBody,
    responses=error_responses(400, 404),
)
async def key_history(dataset: str, table: str, key: str, request: Request) -> Response:
    found = services(request)
    history_of = KeyHistory(found.host, found.reader).of
    content_type, history = await history_of(dataset, table, key, principal(request))
    as_json = is_json(content_type)
    items: list[dict[str, Any]] = []
    for item in history:
        version = item.version
        body: dict[str, Any] = {
            "version": version.id,
            "sequence": version.sequence,
            "status": str(version.status),
            "label": version.label,
            "published-at": item.published_at,
            "present": item.value is not None,
        }
        if item.excised:
            body["excised"] = True
        if item.value is not None:
            body["value"] = orjson.Fragment(item.value) if as_json else item.value.decode()
        items.append(body)
    return json_response(
        {"status": "OK", "dataset": dataset, "table": table, "key": key, "versions": items}
    )
