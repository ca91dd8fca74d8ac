"""/v1/datasets: create, list and inspect datasets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from optimus.domain.policies import parse_eviction_policy
from optimus.entrypoints.api.requests import body_schema, caller, model_body, services
from optimus.entrypoints.api.responses import ack, dataset_body, json_response
from optimus.entrypoints.api.schemas import CreateDatasetRequest

router = APIRouter(tags=["datasets"])


@router.post(
    "/datasets",
    status_code=201,
    summary="Create a dataset",
    openapi_extra=body_schema(CreateDatasetRequest),
)
async def create_dataset(request: Request) -> Response:
    body = await model_body(request, CreateDatasetRequest)
    dataset = await services(request).lifecycle.create_dataset(
        body.name,
        body.tables,
        content_type=body.content_type,
        eviction_policy=parse_eviction_policy(body.eviction_policy),
        load_timeout_s=body.load_timeout_seconds,
        by=caller(request),
    )
    return json_response(
        ack("dataset created", dataset=dataset.name),
        201,
        {"Location": f"/v1/datasets/{dataset.name}"},
    )


@router.get("/datasets", summary="List all datasets")
async def list_datasets(request: Request) -> Response:
    datasets = await services(request).host.all()
    return json_response([dataset_body(d) for d in datasets])


@router.get("/datasets/{name}", summary="A dataset, its active and available versions")
async def get_dataset(name: str, request: Request) -> Response:
    return json_response(dataset_body(await services(request).host.get(name)))
