"""/v1/versions/{id}/stage|unstage: the candidate track, read before a publish promotes it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.entrypoints.api.access import caller, require_on_version
from optimus.entrypoints.api.openapi_errors import error_responses
from optimus.entrypoints.api.request_input import body_schema, model_body, services
from optimus.entrypoints.api.response_schemas import VersionAck
from optimus.entrypoints.api.responses import ack, json_response, version_body
from optimus.entrypoints.api.schemas import TransitionRequest

router = APIRouter(tags=["versions"])


@router.post(
    "/versions/{version_id}/stage",
    summary="Make a SAVED version the dataset's candidate (replacing any other)",
    description="Readers that send x-optimus-track: candidate (or ?track=candidate) are served "
    "it; every other reader keeps the active version. Publishing it promotes it.",
    openapi_extra=body_schema(TransitionRequest, required=False),
    response_model=VersionAck,
    responses=error_responses(400, 404, 409, 413, 415),
)
async def stage_version(version_id: str, request: Request) -> Response:
    await require_on_version(request, Role.PUBLISHER, version_id)
    body = await model_body(request, TransitionRequest, required=False)
    version = await services(request).lifecycle.stage(
        version_id, by=caller(request), reason=body.reason
    )
    return json_response(ack("version staged", id=version_id, version=version_body(version)))


@router.post(
    "/versions/{version_id}/unstage",
    summary="The version is no longer the candidate: candidate readers get the active one",
    openapi_extra=body_schema(TransitionRequest, required=False),
    response_model=VersionAck,
    responses=error_responses(400, 404, 413, 415),
)
async def unstage_version(version_id: str, request: Request) -> Response:
    await require_on_version(request, Role.PUBLISHER, version_id)
    body = await model_body(request, TransitionRequest, required=False)
    version = await services(request).lifecycle.unstage(
        version_id, by=caller(request), reason=body.reason
    )
    return json_response(ack("version unstaged", id=version_id, version=version_body(version)))
