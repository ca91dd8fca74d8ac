"""Only answer requests for the host names this server is meant to be reached by.

A server on loopback is reachable from any page a local browser opens: with DNS
rebinding, `evil.example` resolves to 127.0.0.1 and its page reads and writes the API
under its own name. The Host header gives it away.
"""

from __future__ import annotations

from collections.abc import Collection

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from optimus.entrypoints.api.responses import error_body

LOOPBACK_INTERFACES = frozenset({"127.0.0.1", "localhost", "::1"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
ANY_HOST = "*"


def default_allowed_hosts(interface: str) -> frozenset[str]:
    """Loopback names when listening on loopback; any host name otherwise."""
    return LOOPBACK_HOSTS if interface in LOOPBACK_INTERFACES else frozenset({ANY_HOST})


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port: `[::1]:8888` -> `[::1]`."""
    if host_header.startswith("["):
        return host_header[: host_header.find("]") + 1].lower()
    return host_header.rsplit(":", 1)[0].lower()


class HostGuard:
    def __init__(self, app: ASGIApp, allowed: Collection[str]) -> None:
        self.app = app
        self._allowed = frozenset(name.lower() for name in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = ""
            for name, value in scope["headers"]:
                if name == b"host":
                    host = value.decode("latin-1")
                    break
            if host_name(host) not in self._allowed:
                await _misdirected(send, host)
                return
        await self.app(scope, receive, send)


async def _misdirected(send: Send, host: str) -> None:
    message = f"this server does not answer for host {host!r}; see optimus serve --allowed-hosts"
    body = orjson.dumps(error_body(message, "host-not-allowed", host=host))
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 421, "headers": headers})
    await send({"type": "http.response.body", "body": body})
