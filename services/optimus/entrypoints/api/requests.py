"""Reading requests: services, the caller's identity, bounded JSON bodies, version ids."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from optimus.domain.errors import InvalidInput, TooLarge
from optimus.service_layer.services import Services

Model = TypeVar("Model", bound=BaseModel)

USER_HEADER = "x-optimus-user"
ANONYMOUS = "anonymous"


def services(request: Request) -> Services:
    return request.app.state.services


def caller(request: Request) -> str:
    """Who made the request, for operation logs (set by the client, not authenticated)."""
    return request.headers.get(USER_HEADER) or ANONYMOUS


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the request body exceeds {limit} bytes", limit=limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the request body exceeds {limit} bytes", limit=limit)
    return bytes(body)


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc}", code="malformed-json") from None


async def json_body(request: Request, *, required: bool = True) -> Any:
    body = await read_body(request, services(request).max_request_bytes)
    if not body.strip():
        if required:
            raise InvalidInput("the request body is empty; a JSON body is required")
        return None
    return parse_json(body)


def required_version_id(version_id: str | None, version: str | None) -> str:
    """Loads name their version as ?version-id= (Optimus also documents ?version=)."""
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
    """The JSON body as `model`, whatever Content-Type the client sent (curl -d sends a form).

    An optional body may be absent: the model's defaults apply.
    """
    raw = await json_body(request, required=required)
    if raw is None:
        raw = {}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}".lstrip(": ")
            for error in exc.errors()
        ]
        raise InvalidInput("invalid request: " + "; ".join(problems), problems=problems) from None
