"""GET /v1/versions/{id}/export: a version's entries, streamed as JSON Lines or Parquet."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from optimus.domain.access import Role
from optimus.domain.errors import InvalidInput
from optimus.entrypoints.api.access import principal, require_on_version
from optimus.entrypoints.api.export_formats import ExportFormat, export_chunks
from optimus.entrypoints.api.request_input import services

router = APIRouter(tags=["versions"])


@router.get(
    "/versions/{version_id}/export",
    summary="Every entry of a version (or of one table), streamed",
    description="Columns table, key, value, tables in name order and keys in order. "
    "format=jsonl: one JSON object per line; format=parquet: a Parquet file. The version "
    "must be SAVED or later. `optimus load FILE --dataset D` loads such a file back.",
    response_class=StreamingResponse,
)
async def export_version(
    version_id: str,
    request: Request,
    export_format: str = Query(
        "jsonl",
        alias="format",
        description="jsonl or parquet",
        json_schema_extra={"enum": ["jsonl", "parquet"]},
    ),
    table: str | None = Query(None, description="Only this table"),
) -> StreamingResponse:
    try:
        chosen = ExportFormat(export_format)
    except ValueError:
        raise InvalidInput(
            f"format must be jsonl or parquet, not {export_format!r}", code="invalid-format"
        ) from None
    await require_on_version(request, Role.READER, version_id)
    export = await services(request).export.export(version_id, table, reader=principal(request))
    suffix = "jsonl" if chosen is ExportFormat.JSONL else "parquet"
    return StreamingResponse(
        export_chunks(export, chosen),
        media_type=chosen.media_type,
        headers={
            "x-version-id": version_id,
            "content-disposition": f'attachment; filename="{version_id}.{suffix}"',
        },
    )
