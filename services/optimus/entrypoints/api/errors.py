"""Every error leaves the API as JSON {status: "error", message, code, ...}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from optimus.domain.errors import OptimusError
from optimus.entrypoints.api.responses import error_body, error_response, json_response

_HTTP_CODES = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


async def _optimus_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, OptimusError)
    return error_response(exc)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [_describe(error) for error in exc.errors()]
    message = "invalid request: " + "; ".join(problems) if problems else "invalid request"
    return json_response(error_body(message, "invalid-input", problems=problems), 400)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "resource not found" if exc.status_code == 404 else str(exc.detail)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return json_response(error_body(message, code), exc.status_code, exc.headers)


async def _unexpected_error(_: Request, exc: Exception) -> Response:
    # Logged by the server; the client gets JSON and may retry (5xx are transient to loaders).
    message = f"internal error ({type(exc).__name__}); the request may be retried"
    return json_response(error_body(message, "internal"), 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(OptimusError, _optimus_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
