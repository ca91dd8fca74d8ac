"""/v1/versions: create versions and move them through their lifecycle."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from optimus.domain.version import VersionStatus
from optimus.entrypoints.api.requests import (
    body_schema,
    caller,
    model_body,
    services,
)
from optimus.entrypoints.api.responses import ack, json_response, version_body
from optimus.entrypoints.api.schemas import CreateVersionRequest, SaveRequest, TransitionRequest

router = APIRouter(tags=["versions"])


def _location(version_id: str) -> dict[str, str]:
    return {"Location": f"/v1/versions/{version_id}"}


@router.post(
    "/versions",
    status_code=202,
    summary="Create a version of a dataset",
    openapi_extra=body_schema(CreateVersionRequest),
)
async def create_version(request: Request) -> Response:
    body = await model_body(request, CreateVersionRequest)
    version = await services(request).lifecycle.create_version(
        body.dataset,
        label=body.label,
        verification_policy=body.verification_policy,
        by=caller(request),
        base=body.base,
        reason=body.reason,
    )
    return json_response(
        ack("Request accepted", id=version.id, version=version_body(version)),
        202,
        _location(version.id),
    )


@router.get("/versions", summary="All versions of a dataset, oldest first")
async def list_versions(request: Request, dataset: str = Query(...)) -> Response:
    found = await services(request).host.get(dataset)
    return json_response([version_body(v) for v in found.versions.values()])


@router.get("/versions/{version_id}", summary="A version and its status")
async def get_version(version_id: str, request: Request) -> Response:
    return json_response(version_body(await services(request).lifecycle.version(version_id)))


@router.post(
    "/versions/{version_id}/save",
    status_code=202,
    summary="Save a version: stop accepting entries, count, digest and verify them",
    description="Answers 202 with the version SAVING; follow it with GET /versions/{id} until "
    "it is SAVED or FAILED. With ?wait=true the call returns once the save has ended.",
    openapi_extra=body_schema(SaveRequest, required=False),
)
async def save_version(version_id: str, request: Request, wait: bool = False) -> Response:
    lifecycle = services(request).lifecycle
    body = await model_body(request, SaveRequest, required=False)
    version = await lifecycle.save(
        version_id,
        by=caller(request),
        reason=body.reason,
        verification_policy=body.verification_policy,
    )
    if wait:
        version = await lifecycle.wait_saved(version_id)
        return json_response(
            ack(f"version is {version.status}", id=version_id, version=version_body(version)),
            200,
            _location(version_id),
        )
    if version.status is not VersionStatus.SAVING:  # a retry of a save that has ended
        message = f"version {version_id} is already {version.status}; nothing was done"
        return json_response(
            ack(message, id=version_id, version=version_body(version)), 200, _location(version_id)
        )
    return json_response(
        ack("Save in progress", id=version_id, version=version_body(version)),
        202,
        _location(version_id),
    )


@router.post(
    "/versions/{version_id}/publish",
    status_code=202,
    summary="Publish a SAVED version; re-publishing an earlier one is the rollback",
    description="The publish is atomic and complete when the call returns: every read after "
    "it is served from this version.",
    openapi_extra=body_schema(TransitionRequest, required=False),
)
async def publish_version(version_id: str, request: Request) -> Response:
    body = await model_body(request, TransitionRequest, required=False)
    version = await services(request).lifecycle.publish(
        version_id, by=caller(request), reason=body.reason
    )
    return json_response(
        ack("Publish complete", id=version_id, version=version_body(version)),
        202,
        _location(version_id),
    )


@router.post(
    "/versions/{version_id}/discard",
    summary="Discard a version that is not published; its entries are deleted",
    openapi_extra=body_schema(TransitionRequest, required=False),
)
async def discard_version(version_id: str, request: Request) -> Response:
    body = await model_body(request, TransitionRequest, required=False)
    version = await services(request).lifecycle.discard(
        version_id, by=caller(request), reason=body.reason
    )
    return json_response(version_body(version), 200, _location(version_id))
