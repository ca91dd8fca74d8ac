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
_DECISIONS_KEPT = 1024


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
        # Decisions by raw Host header: a server sees few distinct ones, and reads are hot.
        self._decided: dict[bytes, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = b""
            for name, value in scope["headers"]:
                if name == b"host":
                    host = value
                    break
            allowed = self._decided.get(host)
            if allowed is None:
                allowed = self._decide(host)
            if not allowed:
                await _misdirected(send, host.decode("latin-1"))
                return
        await self.app(scope, receive, send)

    def _decide(self, host: bytes) -> bool:
        if len(self._decided) >= _DECISIONS_KEPT:
            self._decided.clear()
        allowed = self._decided[host] = host_name(host.decode("latin-1")) in self._allowed
        return allowed


async def _misdirected(send: Send, host: str) -> None:
    message = f"this server does not answer for host {host!r}; see optimus serve --allowed-hosts"
    body = orjson.dumps(error_body(message, "host-not-allowed", host=host))
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 421, "headers": headers})
    await send({"type": "http.response.body", "body": body})
