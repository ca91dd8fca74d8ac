"""/v1/datasets/{dataset}/publications: the publish log that as-of reads are answered from."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from optimus.domain.publications import MAX_PUBLICATIONS, format_instant
from optimus.entrypoints.api.request_input import services
from optimus.entrypoints.api.responses import json_response

router = APIRouter(tags=["datasets"])


@router.get(
    "/datasets/{dataset}/publications",
    summary="Which version was published from when until when, oldest first",
    description="Each publish or rollback starts a publication and ends the one before "
    f"(`until` is null for the live one). The last {MAX_PUBLICATIONS} are kept. Reads with "
    "?as-of=<RFC 3339 time> are answered from the version published at that time.",
)
async def list_publications(dataset: str, request: Request) -> Response:
    found = await services(request).host.get(dataset)
    return json_response(
        [
            {
                "version": p.version_id,
                "from": format_instant(p.start),
                "until": None if p.end is None else format_instant(p.end),
                "by": p.by,
                "reason": p.reason,
            }
            for p in found.publications
        ]
    )
