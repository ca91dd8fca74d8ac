"""/v1/datasets: create, list and inspect datasets."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from optimus.domain.access import Role
from optimus.domain.policies import parse_eviction_policy
from optimus.entrypoints.api.access import caller, may, require
from optimus.entrypoints.api.openapi_errors import error_responses
from optimus.entrypoints.api.request_input import body_schema, model_body, services
from optimus.entrypoints.api.response_schemas import NAME_PATTERN, DatasetBody, DatasetCreated
from optimus.entrypoints.api.responses import ack, dataset_body, json_response
from optimus.entrypoints.api.schemas import CreateDatasetRequest

router = APIRouter(tags=["datasets"])


@router.post(
    "/datasets",
    status_code=201,
    summary="Create a dataset",
    openapi_extra=body_schema(CreateDatasetRequest),
    response_model=DatasetCreated,
    responses=error_responses(400, 409, 413, 415),
)
async def create_dataset(request: Request) -> Response:
    body = await model_body(request, CreateDatasetRequest)
    require(request, Role.ADMIN, body.name)
    dataset = await services(request).lifecycle.create_dataset(
        body.name,
        body.tables,
        content_type=body.content_type,
        eviction_policy=parse_eviction_policy(body.eviction_policy),
        masking=body.masking,
        publish_gates=body.publish_gates,
        schemas=body.schemas,
        publish_hooks=body.publish_hooks,
        load_timeout_s=body.load_timeout_seconds,
        by=caller(request),
    )
    return json_response(
        ack("dataset created", dataset=dataset.name),
        201,
        {"Location": f"/v1/datasets/{dataset.name}"},
    )


@router.get(
    "/datasets", summary="List the datasets the caller may read", response_model=list[DatasetBody]
)
async def list_datasets(request: Request) -> Response:
    datasets = await services(request).host.all()
    return json_response([dataset_body(d) for d in datasets if may(request, Role.READER, d.name)])


@router.get(
    "/datasets/{dataset}",
    summary="A dataset, its active and available versions",
    response_model=DatasetBody,
    responses=error_responses(400, 404),
)
async def get_dataset(
    request: Request, dataset: str = Path(json_schema_extra={"pattern": NAME_PATTERN})
) -> Response:
    # Its role (reader) is checked by the Authenticate layer, as for every GET under /v1/datasets/.
    return json_response(dataset_body(await services(request).host.get(dataset)))
