"""/v1/datasets/{dataset}/excise: remove keys from every retained version, for good."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.entrypoints.api.access import caller, require
from optimus.entrypoints.api.audit_trail import AUDIT_DETAILS
from optimus.entrypoints.api.openapi_errors import error_responses
from optimus.entrypoints.api.request_input import body_schema, model_body, services
from optimus.entrypoints.api.response_schemas import NAME_PATTERN, ExcisionDoneBody
from optimus.entrypoints.api.responses import ack, json_response
from optimus.entrypoints.api.schemas import ExciseRequest

router = APIRouter(tags=["datasets"])


@router.post(
    "/datasets/{dataset}/excise",
    summary="Excise keys of a table from every retained version of the dataset (admin)",
    description="Deletes the entries from the store (and every patch layer), recounts and "
    "re-digests each retained version, and marks it excised; later reads of the keys in "
    "those versions answer 404 excised. The audit log keeps the keys' SHA-256 hashes and "
    "the reason, never the keys or values. Refused (409 version-saving) while a version is "
    "SAVING; versions still AWAITING_ENTRIES are left alone (docs/security.md).",
    openapi_extra=body_schema(ExciseRequest),
    response_model=ExcisionDoneBody,
    responses=error_responses(400, 403, 404, 409, 413, 415),
)
async def excise(
    request: Request, dataset: str = Path(json_schema_extra={"pattern": NAME_PATTERN})
) -> Response:
    require(request, Role.ADMIN, dataset)
    body = await model_body(request, ExciseRequest)
    done = await services(request).excision.excise(
        dataset, body.table, body.keys, body.reason, by=caller(request)
    )
    hashes = list(done.key_hashes)
    request.scope[AUDIT_DETAILS] = {
        "table": done.table,
        "reason": body.reason,
        "key-hashes": hashes,
        "versions": list(done.versions),
    }
    return json_response(
        ack(
            "keys excised",
            dataset=done.dataset,
            table=done.table,
            keys=len(hashes),
            versions=list(done.versions),
            layers=list(done.layers),
            **{"key-hashes": hashes},
        )
    )
