"""The OpenAPI document: FastAPI's routes, the entry reads of the fast path, real responses only.

FastAPI documents a 422 for every route with parameters; this API answers bad input
with 400 and the error schema (`errors`), so 422 is dropped from the document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from optimus.entrypoints.api.read_paths import READ_PATHS


def _without_validation_errors(schema: dict[str, Any]) -> None:
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            operation.get("responses", {}).pop("422", None)
    schemas = schema.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


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
        app.openapi_schema = schema
    return app.openapi_schema


def install_openapi(app: FastAPI) -> None:
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
