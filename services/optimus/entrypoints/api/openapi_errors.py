"""The error responses of the OpenAPI document, all with the error schema."""

from __future__ import annotations

from typing import Any

from optimus.entrypoints.api.response_schemas import ErrorBody

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}

_MEANINGS = {
    400: "Bad input (malformed JSON, a name outside [A-Za-z0-9-_.], a missing field, …)",
    401: "Authentication is on and the request has no valid token (docs/security.md)",
    403: "The token's roles do not allow this on the dataset",
    404: "The dataset, table, version or key does not exist",
    409: "The version is not in a state that allows this",
    410: "The version was discarded or evicted: its entries are deleted",
    413: "The request body is larger than the server accepts",
    415: "A write's body must be sent with Content-Type: application/json",
    504: "Done, but not every replica serves the version within the documented bound",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=` for the errors a route really answers, all with the error schema."""
    return {status: {"model": ErrorBody, "description": _MEANINGS[status]} for status in statuses}


def error_response_objects(*statuses: int) -> dict[str, Any]:
    """The same, as OpenAPI response objects (for operations written by hand)."""
    return {
        str(status): {
            "description": _MEANINGS[status],
            "content": {"application/json": {"schema": ERROR_REF}},
        }
        for status in statuses
    }
