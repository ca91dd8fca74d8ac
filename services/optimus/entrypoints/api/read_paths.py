"""The OpenAPI description of the entry reads, which `fast_reads` answers (no FastAPI route)."""

from __future__ import annotations

from typing import Any

from optimus.entrypoints.api.openapi_errors import error_response_objects
from optimus.entrypoints.api.response_schemas import KEY_PATTERN, NAME_PATTERN, EntriesBody


def _path(name: str, pattern: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": pattern},
    }


_PIN = {
    "name": "version-id",
    "in": "query",
    "required": False,
    "description": "Read this version (SAVED or PUBLISHED) instead of the active one.",
    "schema": {"type": "string", "minLength": 1},  # an empty one is refused
}
_TRACK = {
    "name": "track",
    "in": "query",
    "required": False,
    "description": "candidate: read the staged candidate (the active version if none is "
    "staged); the response's x-optimus-track says which answered. Same as the "
    "x-optimus-track header.",
    "schema": {"type": "string", "enum": ["active", "candidate"]},
}
_AS_OF = {
    "name": "as-of",
    "in": "query",
    "required": False,
    "description": "An RFC 3339 time: read the version that was published then (404 "
    "not-published-then before the first publish, 410 if it is purged).",
    "schema": {"type": "string", "format": "date-time"},
}
_PARAMETERS = [
    _path("dataset", NAME_PATTERN, "The dataset."),
    _path("table", NAME_PATTERN, "A table of the dataset."),
]
_HEADERS = {
    "x-version-id": {
        "description": "The version that answered.",
        "required": True,
        "schema": {"type": "string"},
    },
    "x-active-version-id": {
        "description": "The dataset's active version, when it has one.",
        "schema": {"type": "string"},
    },
    "cache-control": {
        "description": "`public, max-age=31536000, immutable` for a pinned read, "
        "`no-cache` otherwise.",
        "schema": {"type": "string"},
    },
}


READ_PATHS: dict[str, dict[str, Any]] = {
    "/v1/datasets/{dataset}/tables/{table}/entries/{key}": {
        "get": {
            "tags": ["entries"],
            "operationId": "read_entry",
            "summary": "Read one entry, from the active version or the pinned one",
            "description": "The body is the value, with the dataset's content type.",
            "parameters": [
                *_PARAMETERS,
                _path("key", KEY_PATTERN, "The entry's key."),
                _PIN,
                _TRACK,
                _AS_OF,
            ],
            "responses": {
                "200": {
                    "description": "The value, byte for byte as stored.",
                    "headers": _HEADERS,
                    "content": {"*/*": {"schema": {}}},
                },
                **error_response_objects(400, 404, 409, 410),
            },
        }
    },
    "/v1/datasets/{dataset}/tables/{table}/entries": {
        "get": {
            "tags": ["entries"],
            "operationId": "read_entries",
            "summary": "Read many entries from one version",
            "description": 'Keys in a JSON body [{"key": "k1"}, …] as Optimus does, or, for '
            "clients that can't send a GET body, as repeated ?key= parameters.",
            "parameters": [
                *_PARAMETERS,
                _PIN,
                _TRACK,
                _AS_OF,
                {
                    "name": "key",
                    "in": "query",
                    "required": False,
                    "description": "Keys to read, when there is no body.",
                    "schema": {"type": "array", "items": {"type": "string"}},
                },
            ],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"key": {"type": "string", "pattern": KEY_PATTERN}},
                                "required": ["key"],
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "The values found, by key.",
                    "headers": _HEADERS,
                    "content": {
                        "application/json": {"schema": EntriesBody.model_json_schema(by_alias=True)}
                    },
                },
                **error_response_objects(400, 404, 409, 410, 413),
            },
        }
    },
}
