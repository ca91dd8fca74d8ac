"""Reading requests: services, bounded JSON bodies, version ids."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.types import Receive

from optimus.domain.errors import InvalidInput, TooLarge
from optimus.domain.json_values import parse_exactly
from optimus.domain.names import require_version_id
from optimus.entrypoints.api.json_writes import require_json_body
from optimus.service_layer.services import Services

Model = TypeVar("Model", bound=BaseModel)


def services(request: Request) -> Services:
    return request.app.state.services


async def receive_body(receive: Receive, declared_length: str | None, limit: int) -> bytes:
    """The whole body from ASGI messages, refused (413) as soon as it exceeds `limit`."""
    if declared_length and declared_length.isdigit() and int(declared_length) > limit:
        raise TooLarge(f"the request body exceeds {limit} bytes", limit=limit)
    chunks: list[bytes] = []  # joined once: adding them up would copy a large body many times
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the request body exceeds {limit} bytes", limit=limit)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def read_body(request: Request, limit: int) -> bytes:
    return await receive_body(request.receive, request.headers.get("content-length"), limit)


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc}", code="malformed-json") from None


async def json_body(request: Request, *, required: bool = True) -> Any:
    """The JSON body of a write (415 if not sent as application/json)."""
    body = await read_body(request, services(request).max_request_bytes)
    require_json_body(request.headers, body)
    if not body.strip():
        if required:
            raise InvalidInput("the request body is empty; a JSON body is required")
        return None
    parsed = parse_json(body)
    if parsed is None:  # a body of `null` is not "no body"
        raise InvalidInput("the request body is null; send a JSON object, or no body")
    return parsed


async def entries_body(request: Request) -> Any:
    """A body of entries, each "value" kept as the exact JSON text sent (see json_values)."""
    body = await read_body(request, services(request).max_request_bytes)
    if not body.strip():
        raise InvalidInput("the request body is empty; a JSON body is required")
    return parse_exactly(body)


def keys_to_read(body: bytes, query_keys: list[str] | None) -> list[object]:
    """The keys of a get-many: a JSON body [{"key": …}, …] as Optimus sends, else ?key=…"""
    if not body.strip():
        return list(query_keys or ())
    items = parse_json(body)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InvalidInput('the body must be a JSON array [{"key": "k1"}, …]')
    return [item.get("key") for item in items]


def track_asked(query_track: str | None, header_track: str | None) -> str | None:
    """The track a reader follows: ?track= if given, else the x-optimus-track header."""
    return query_track if query_track is not None else header_track


def required_version_id(version_id: str | None, version: str | None) -> str:
    """Loads name their version as ?version-id= (Optimus also documents ?version=)."""
    for given in (version_id, version):
        if given is not None:
            require_version_id(given)
    chosen = version_id or version
    if not chosen:
        raise InvalidInput("the version-id query parameter is required", code="missing-version-id")
    return chosen


def body_schema(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """OpenAPI `requestBody` of a JSON body parsed by `model_body`."""
    schema = model.model_json_schema(by_alias=True)
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": required, "content": content}}


async def model_body(request: Request, model: type[Model], *, required: bool = True) -> Model:
    """The JSON body as `model`; an optional body may be absent: the model's defaults apply."""
    raw = await json_body(request, required=required)
    if raw is None:  # no body: an optional one may be left out
        raw = {}
    elif not isinstance(raw, dict):
        raise InvalidInput(f"the request body must be a JSON object, not {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}".lstrip(": ")
            for error in exc.errors()
        ]
        raise InvalidInput("invalid request: " + "; ".join(problems), problems=problems) from None
