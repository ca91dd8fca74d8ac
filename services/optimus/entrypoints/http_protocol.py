"""uvicorn's httptools protocol, with a deadline for request headers and JSON errors.

uvicorn closes an idle keep-alive connection (`timeout_keep_alive`) but waits forever
for the headers of a request, so a client that opens connections and trickles bytes
holds them all; here the headers must have arrived within `header_timeout` seconds of
the connection or of the request's first byte. The errors that httptools answers
without the app (a garbage request line, a bad Content-Length, headers too large) get
the API's JSON error shape instead of plain text.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from optimus.entrypoints.api.responses import error_body

_REASONS = {400: b"Bad Request", 408: b"Request Timeout"}


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        self._send_error(400, f"the HTTP request is malformed: {msg}", "bad-http-request")

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(
                self._header_timeout, self._on_header_deadline
            )

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _on_header_deadline(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            message = f"the request headers did not arrive within {self._header_timeout:g} s"
            self._send_error(408, message, "request-timeout")
        else:  # a response is being written: no room for another one
            self.transport.close()

    def _send_error(self, status: int, message: str, code: str) -> None:
        body = orjson.dumps(error_body(message, code))
        head = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
        head.extend(b"%s: %s\r\n" % pair for pair in self.server_state.default_headers)
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body))
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()
