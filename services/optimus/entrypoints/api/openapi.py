"""The OpenAPI document: FastAPI's routes, the entry reads of the fast path, real responses only.

FastAPI documents a 422 for every route with parameters; this API answers bad input
with 400 and the error schema (`errors`), so 422 is dropped from the document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from optimus.entrypoints.api.openapi_errors import error_response_objects
from optimus.entrypoints.api.read_paths import READ_PATHS


def _version_links(*operations: str) -> dict[str, Any]:
    """Links to operations on the version that the answer names (its `id`)."""
    return {
        operation: {"operationId": operation, "parameters": {"version_id": "$response.body#/id"}}
        for operation in operations
    }


_NEXT = ("get_version", "save_version", "publish_version", "discard_version")
_IN_VERSION = {"dataset": "$response.body#/version/dataset", "version-id": "$response.body#/id"}


# OpenAPI links: a create/load/save/publish/read sequence that a client (or schemathesis's
# stateful phase) can follow from the answers.
LINKS: dict[tuple[str, str], dict[str, Any]] = {
    ("create_dataset", "201"): {
        "get_dataset": {
            "operationId": "get_dataset",
            "parameters": {"dataset": "$response.body#/dataset"},
        },
        "create_version": {
            "operationId": "create_version",
            "requestBody": {"dataset": "$response.body#/dataset"},
        },
        "list_versions": {
            "operationId": "list_versions",
            "parameters": {"dataset": "$response.body#/dataset"},
        },
    },
    ("create_version", "202"): {
        **_version_links(*_NEXT),
        "load_table_entries": {"operationId": "load_table_entries", "parameters": _IN_VERSION},
        "load_dataset_entries": {"operationId": "load_dataset_entries", "parameters": _IN_VERSION},
    },
    ("save_version", "202"): _version_links(*_NEXT),
    ("save_version", "200"): _version_links(*_NEXT),
    ("publish_version", "202"): {
        **_version_links(*_NEXT),
        "read_entry": {"operationId": "read_entry", "parameters": _IN_VERSION},
        "read_entries": {"operationId": "read_entries", "parameters": _IN_VERSION},
    },
}


def _with_links(schema: dict[str, Any]) -> None:
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                links = LINKS.get((operation.get("operationId"), status))
                if links is not None:
                    response["links"] = links


def _loads_require_version_id(schema: dict[str, Any]) -> None:
    # FastAPI sees version-id as optional, as `routes_entries` also accepts ?version=.
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            if operation.get("operationId", "").startswith(("load_", "retract_")):
                for parameter in operation.get("parameters", ()):
                    if parameter["name"] == "version-id":
                        parameter["required"] = True
                        parameter["schema"] = {"type": "string", "minLength": 1}


def _without_validation_errors(schema: dict[str, Any]) -> None:
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            operation.get("responses", {}).pop("422", None)
    schemas = schema.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def _every_error_described(schema: dict[str, Any]) -> None:
    """Each /v1 operation lists the errors every route may answer, with the error schema
    (routes declare their own besides: a version's may be gone, a body too large, …)."""
    common = error_response_objects(400, 401, 403, 404, 409, 410)
    for path, path_item in schema["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, response in common.items():
                responses.setdefault(status, response)


def _some_body_schema(schema: dict[str, Any]) -> None:
    """A 2xx JSON body that a route did not model is still a JSON object or array."""
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                body = response.get("content", {}).get("application/json")
                if status.startswith("2") and body is not None and body.get("schema") == {}:
                    body["schema"] = {"type": ["object", "array"]}


def openapi_document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for path, operations in READ_PATHS.items():
            schema["paths"].setdefault(path, {}).update(operations)
        _without_validation_errors(schema)
        _every_error_described(schema)
        _some_body_schema(schema)
        _with_links(schema)
        _loads_require_version_id(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def install_openapi(app: FastAPI) -> None:
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
