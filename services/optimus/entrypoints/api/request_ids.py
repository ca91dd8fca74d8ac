"""Request ids: every response carries x-request-id, and log lines name the request.

The id is the caller's own x-request-id when it sends a sane one (so that a
trace through a gateway keeps one id), else one made here: a random prefix
per process and a counter, unique without the cost of a UUID per request.
"""

from __future__ import annotations

import itertools
import os
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID_LENGTH = 128
# Where the request's id is kept in its ASGI scope.
SCOPE_KEY = "optimus.request_id"
# The scope of the request being served, for log lines made while serving it.
current_request: ContextVar[Scope | None] = ContextVar("optimus_current_request", default=None)


def _sane(value: bytes) -> bool:
    # Visible ASCII only: the id is echoed in a header and written in logs.
    return 0 < len(value) <= MAX_REQUEST_ID_LENGTH and all(33 <= c < 127 for c in value)


class RequestIdSource:
    def __init__(self) -> None:
        self._prefix = os.urandom(6).hex()
        self._counter = itertools.count(1)

    def of(self, scope: Scope) -> bytes:
        """The request's id: the caller's, or a new one."""
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                if _sane(value):
                    return value
                break
        return b"%s-%d" % (self._prefix.encode(), next(self._counter))


class RequestIds:
    """Gives each request of `app` its id: in the response, in the scope, in log lines."""

    def __init__(self, app: ASGIApp, ids: RequestIdSource) -> None:
        self.app = app
        self._ids = ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._ids.of(scope)
        scope[SCOPE_KEY] = request_id.decode()
        header = (REQUEST_ID_HEADER, request_id)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = current_request.set(scope)
        try:
            await self.app(scope, receive, sending)
        finally:
            current_request.reset(token)
