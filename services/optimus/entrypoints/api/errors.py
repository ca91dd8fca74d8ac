"""Every error leaves the API as JSON {status: "error", message, code, ...}.

FastAPI's handlers render through the app's `ErrorMapper`, as the fast read path does;
only the framework's own errors (validation, routing) are turned into it here.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from optimus.domain.errors import InvalidInput
from optimus.entrypoints.api.allowed_methods import allowed_methods
from optimus.entrypoints.api.error_mapping import ErrorMapper, Rendered, render_json_error

_HTTP_CODES = {
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
}


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


def _response(rendered: Rendered) -> Response:
    return Response(
        rendered.body, rendered.status, rendered.headers, media_type=rendered.content_type
    )


def install_error_handlers(app: FastAPI, errors: ErrorMapper) -> None:
    async def mapped(_: Request, exc: Exception) -> Response:
        return _response(errors.render(exc))

    async def validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [_describe(error) for error in exc.errors()]
        message = "invalid request: " + "; ".join(problems) if problems else "invalid request"
        return _response(errors.render(InvalidInput(message, problems=problems)))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status, headers = exc.status_code, dict(exc.headers or {})
        if status == 405:
            # Starlette names the methods of the first route that matched the path only,
            # and the catch-all OPTIONS route matches every path.
            methods = allowed_methods(request.app.routes, request.scope)
            status = 405 if methods else 404
            headers = {"Allow": ", ".join(methods)} if methods else {}
        message = "resource not found" if status == 404 else str(exc.detail)
        code = _HTTP_CODES.get(status, "error")
        return _response(render_json_error(status, message, code, headers))

    # Exception: answered by Starlette's outermost middleware, which also logs it.
    for kind in (Exception, *errors.kinds):
        app.add_exception_handler(kind, mapped)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
