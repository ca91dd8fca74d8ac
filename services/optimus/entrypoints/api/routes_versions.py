"""/v1/versions: create versions and move them through their lifecycle."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.domain.errors import InvalidInput
from optimus.domain.version import Version, VersionStatus
from optimus.entrypoints.api.access import caller, may, require, require_on_version
from optimus.entrypoints.api.openapi_errors import error_responses
from optimus.entrypoints.api.request_input import body_schema, model_body, services
from optimus.entrypoints.api.response_schemas import NAME_PATTERN, VersionAck, VersionBody
from optimus.entrypoints.api.responses import ack, error_body, json_response, version_body
from optimus.entrypoints.api.schemas import (
    CreateVersionRequest,
    PublishRequest,
    SaveRequest,
    TransitionRequest,
)
from optimus.service_layer.replicas import PUBLISH_WAIT_TIMEOUT_S

router = APIRouter(tags=["versions"])


def _location(version_id: str) -> dict[str, str]:
    return {"Location": f"/v1/versions/{version_id}"}


def _created_by(version: Version) -> str:
    return version.operation_log[0].by


@router.post(
    "/versions",
    status_code=202,
    summary="Create a version of a dataset",
    openapi_extra=body_schema(CreateVersionRequest),
    response_model=VersionAck,
    responses=error_responses(400, 404, 413, 415),
)
async def create_version(request: Request) -> Response:
    body = await model_body(request, CreateVersionRequest)
    require(request, Role.LOADER, body.dataset)
    version = await services(request).lifecycle.create_version(
        body.dataset,
        label=body.label,
        verification_policy=body.verification_policy,
        publish_gates=body.publish_gates,
        schemas=body.schemas,
        by=caller(request),
        base=body.base,
        reason=body.reason,
    )
    return json_response(
        ack("Request accepted", id=version.id, version=version_body(version)),
        202,
        _location(version.id),
    )


@router.get(
    "/versions",
    summary="All versions of a dataset, oldest first",
    response_model=list[VersionBody],
    responses=error_responses(400, 404),
)
async def list_versions(
    request: Request, dataset: str = Query(json_schema_extra={"pattern": NAME_PATTERN})
) -> Response:
    require(request, Role.READER, dataset)
    found = await services(request).host.get(dataset)
    return json_response([version_body(v) for v in found.versions.values()])


@router.get(
    "/versions/{version_id}",
    summary="A version and its status",
    response_model=VersionBody,
    responses=error_responses(404),
)
async def get_version(version_id: str, request: Request) -> Response:
    await require_on_version(request, Role.READER, version_id)
    return json_response(version_body(await services(request).lifecycle.version(version_id)))


@router.post(
    "/versions/{version_id}/save",
    status_code=202,
    summary="Save a version: stop accepting entries, count, digest and verify them",
    description="Answers 202 with the version SAVING; follow it with GET /versions/{id} until "
    "it is SAVED or FAILED. With ?wait=true the call returns once the save has ended.",
    openapi_extra=body_schema(SaveRequest, required=False),
    response_model=VersionAck,
    responses={200: {"model": VersionAck, "description": "With ?wait=true: the save has ended"}}
    | error_responses(400, 404, 409, 410, 413, 415),
)
async def save_version(version_id: str, request: Request, wait: bool = False) -> Response:
    await require_on_version(request, Role.LOADER, version_id)
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
    "it through the replica that answered is served from this version. Other replicas switch "
    "when the publish event reaches them (milliseconds), or at worst at their next head poll "
    "(--refresh-interval-seconds, 2 s by default) if they missed it. With wait=replicas the "
    "call returns once every live replica serves the version (GET "
    "/v1/datasets/{name}/replicas), or answers 504 after "
    f"{PUBLISH_WAIT_TIMEOUT_S:g} s: the publish itself is done either way. A version whose "
    "publish gates failed is refused (409, with the failing checks) unless the body says "
    "force, with a reason.",
    openapi_extra=body_schema(PublishRequest, required=False),
    response_model=VersionAck,
    responses=error_responses(400, 404, 409, 410, 413, 415, 504),
)
async def publish_version(
    version_id: str,
    request: Request,
    wait: str | None = Query(
        None,
        description="replicas: return once every replica serves it",
        json_schema_extra={"enum": ["replicas"]},
    ),
) -> Response:
    if wait not in (None, "replicas"):
        raise InvalidInput(f"wait must be replicas, not {wait!r}", code="invalid-wait")
    await require_on_version(request, Role.PUBLISHER, version_id)
    body = await model_body(request, PublishRequest, required=False)
    found = services(request)
    version = await found.lifecycle.publish(
        version_id, by=caller(request), reason=body.reason, force=body.force
    )
    if wait is not None and not await found.replicas.wait_serving(
        version.dataset, version_id, PUBLISH_WAIT_TIMEOUT_S
    ):
        replicas = await found.replicas.of_dataset(version.dataset)
        lagging = [
            name for name, serving, _ in replicas if not serving or serving.version_id != version_id
        ]
        message = (
            f"version {version_id} is published, but not yet served by every replica after "
            f"{PUBLISH_WAIT_TIMEOUT_S:g} s"
        )
        return json_response(error_body(message, "replicas-not-ready", lagging=lagging), 504)
    return json_response(
        ack("Publish complete", id=version_id, version=version_body(version)),
        202,
        _location(version_id),
    )


@router.post(
    "/versions/{version_id}/discard",
    summary="Discard a version that is not published; its entries are deleted",
    openapi_extra=body_schema(TransitionRequest, required=False),
    response_model=VersionBody,
    responses=error_responses(400, 404, 409, 413, 415),
)
async def discard_version(version_id: str, request: Request) -> Response:
    # A loader may discard the versions it created; any other needs a publisher.
    dataset = await require_on_version(request, Role.LOADER, version_id)
    if dataset is not None and not may(request, Role.PUBLISHER, dataset):
        version = await services(request).lifecycle.version(version_id)
        if _created_by(version) != caller(request):
            require(request, Role.PUBLISHER, dataset)
    body = await model_body(request, TransitionRequest, required=False)
    version = await services(request).lifecycle.discard(
        version_id, by=caller(request), reason=body.reason
    )
    return json_response(version_body(version), 200, _location(version_id))
