"""Exceptions to JSON error responses: one mapping for the fast read path and FastAPI.

Optimus errors carry their own status; a host registers the kinds it knows besides
(the Dapr host: a sidecar that is away is 503 with Retry-After); anything else is 500.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from optimus.domain.errors import OptimusError, Unavailable
from optimus.entrypoints.api.responses import JSON, error_body, error_status


class Rendered:
    """Status, headers and body of a response, independent of the web framework."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self, status: int, content_type: str, body: bytes, headers: dict[str, str]
    ) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body
        self.headers = headers


def render_json_error(
    status: int, message: str, code: str, headers: dict[str, str] | None = None, **details: object
) -> Rendered:
    return Rendered(status, JSON, orjson.dumps(error_body(message, code, **details)), headers or {})


def render_error(exc: OptimusError, headers: dict[str, str] | None = None) -> Rendered:
    if isinstance(exc, Unavailable):  # nothing was done: the same request may be sent again
        headers = {"Retry-After": str(exc.retry_after), **(headers or {})}
    return render_json_error(error_status(exc), exc.message, exc.code, headers, **exc.details)


ErrorRule = Callable[[Exception], Rendered]


class ErrorMapper:
    def __init__(self) -> None:
        self._rules: dict[type[Exception], ErrorRule] = {}

    def register(self, kind: type[Exception], rule: ErrorRule) -> None:
        self._rules[kind] = rule

    @property
    def kinds(self) -> tuple[type[Exception], ...]:
        return (OptimusError, *self._rules)

    def render(self, exc: Exception) -> Rendered:
        if isinstance(exc, OptimusError):
            return render_error(exc)
        for kind in type(exc).__mro__:
            rule = self._rules.get(kind)
            if rule is not None:
                return rule(exc)
        # The client gets JSON and may retry (5xx are transient to loaders).
        message = f"internal error ({type(exc).__name__}); the request may be retried"
        return render_json_error(500, message, "internal")
