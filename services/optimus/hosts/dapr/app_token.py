"""Dapr's app-api-token: with APP_API_TOKEN set, only the sidecar may call the app.

The sidecar (given the same token) sends it as `dapr-api-token` on every call
it makes to the app: service invocations, actor turns, event deliveries.
Anything else reaching the app's port directly is refused, except the
kubelet's probes and the scraper. (DAPR_API_TOKEN, what the app shows its
sidecar, is read from the environment by the Dapr SDK itself.)
"""

from __future__ import annotations

import hmac

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from optimus.entrypoints.api.responses import error_body

HEADER = b"dapr-api-token"
OPEN_PATHS = frozenset({"/healthcheck", "/readyz", "/metrics"})
_REFUSAL = orjson.dumps(
    error_body("only the Dapr sidecar may call this app (dapr-api-token)", "unauthenticated")
)


class SidecarOnly:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS:
            given = next((v for k, v in scope["headers"] if k == HEADER), b"")
            if not hmac.compare_digest(given, self._token):
                headers = [(b"content-type", b"application/json"),
                           (b"content-length", b"%d" % len(_REFUSAL))]  # fmt: skip
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": _REFUSAL})
                return
        await self.app(scope, receive, send)
