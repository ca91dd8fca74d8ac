"""JSON bodies of the API: errors, acknowledgements, datasets and versions.

Shapes follow trainline Optimus's documented API; fields it did not have are
added beside its own (e.g. both `createdAt` and `created-at`).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from optimus.domain.dataset import Dataset
from optimus.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    OptimusError,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from optimus.domain.version import Operation, Version

JSON = "application/json"

ERROR_STATUS: dict[type[OptimusError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    Unavailable: 503,
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=JSON)


def error_body(message: str, code: str, **details: Any) -> dict[str, Any]:
    """{status: "error", message, code, ...details}; detail names are hyphenated like Optimus's."""
    body = {name.replace("_", "-"): value for name, value in details.items()}
    return body | {"status": "error", "message": message, "code": code}


def error_status(exc: OptimusError) -> int:
    for kind in type(exc).__mro__:
        if kind in ERROR_STATUS:
            return ERROR_STATUS[kind]  # type: ignore[index]
    return 500


def ack(message: str, **extra: Any) -> dict[str, Any]:
    return {"status": "OK", "message": message, **extra}


def _operations(log: list[Operation]) -> list[dict[str, Any]]:
    return [{"action": op.action, "at": op.at, "by": op.by, "reason": op.reason} for op in log]


def version_body(version: Version) -> dict[str, Any]:
    policy = version.verification_policy
    body: dict[str, Any] = {
        "id": version.id,
        "version": version.id,
        "dataset": version.dataset,
        "label": version.label,
        "sequence": version.sequence,
        "status": str(version.status),
        "createdAt": version.created_at,
        "created-at": version.created_at,
        "counts": version.counts,
        "entries": version.total_entries,
        "digest": version.digest,
        "operation-log": _operations(version.operation_log),
    }
    if policy is not None:
        body["verification-policy"] = policy.to_dict()
    if version.discard_reason is not None:
        body["discard-reason"] = version.discard_reason
    if version.publish_gates is not None:
        body["publish-gates"] = version.publish_gates.to_dict()
    if version.gates is not None:
        body["gates"] = version.gates.to_dict()
    if version.schemas:
        body["schemas"] = version.schemas
    if version.base_version_id is not None:
        body["base-version-id"] = version.base_version_id
    if version.excisions:
        body["excisions"] = [excision.summary() for excision in version.excisions]
    return body


def _version_summary(version: Version) -> dict[str, Any]:
    return {
        "id": version.id,
        "created-at": version.created_at,
        "label": version.label,
        "sequence": version.sequence,
        "status": str(version.status),
    }


def dataset_body(dataset: Dataset) -> dict[str, Any]:
    active = dataset.active_version
    candidate = dataset.versions.get(dataset.candidate_version_id or "")
    return {
        "name": dataset.name,
        "content-type": dataset.content_type,
        "eviction-policy": dataset.eviction_policy.to_dict(),
        "publish-gates": dataset.publish_gates.to_dict() if dataset.publish_gates else None,
        "schemas": dataset.schemas,
        "publish-hooks": [hook.to_dict() for hook in dataset.publish_hooks],
        "load-timeout-seconds": dataset.load_timeout_s,
        "tables": list(dataset.tables),
        "masking": dataset.masking,
        "created-at": dataset.created_at,
        "revision": dataset.revision,
        "active-version": _version_summary(active) if active else None,
        "candidate-version": _version_summary(candidate) if candidate else None,
        "available-versions": [_version_summary(v) for v in dataset.retained_versions()],
        "operation-log": _operations(dataset.operation_log),
    }
