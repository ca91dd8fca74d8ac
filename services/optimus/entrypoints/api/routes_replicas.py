"""GET /v1/datasets/{name}/replicas: which version each live API replica serves, since when."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from optimus.entrypoints.api.request_input import services
from optimus.entrypoints.api.responses import json_response
from optimus.service_layer.views import current_view

router = APIRouter(tags=["datasets"])


@router.get(
    "/datasets/{dataset}/replicas",
    summary="The version each live API replica serves, and since when",
    description="One item per live replica: replica (its name), version (the version its "
    "unpinned reads are answered from, or null), since and last-seen (epoch ms). On the "
    "embedded host, the one process. On Dapr, replicas report through the state store "
    "within 0.1 s of a change and every second; one silent for 5 s is left out.",
)
async def list_replicas(dataset: str, request: Request) -> Response:
    found = services(request)
    await current_view(found.host, dataset)  # 404 for a dataset that does not exist
    replicas = await found.replicas.of_dataset(dataset)
    return json_response(
        [
            {
                "replica": replica,
                "version": serving.version_id if serving is not None else None,
                "since": serving.since if serving is not None else None,
                "last-seen": last_seen,
            }
            for replica, serving, last_seen in replicas
        ]
    )
