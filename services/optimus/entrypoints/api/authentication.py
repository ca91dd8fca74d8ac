"""The one ASGI layer authenticating every call under /v1, before the fast reads and FastAPI.

It answers 401 itself for a missing or invalid token, and 403 for a read under
/v1/datasets/{dataset} by a caller without `reader` on that dataset (the fast
single-key path is among those); other routes check the role they need with
`access.require`. The principal is left in the ASGI scope for them. Probes and
scrapers (/healthcheck, /readyz, /metrics) and the docs need no token.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from optimus.adapters.auth.authenticator import Authenticator
from optimus.domain.access import Role
from optimus.domain.errors import OptimusError, Unauthenticated, forbidden
from optimus.entrypoints.api.audit_trail import PRINCIPAL, AuditRecorder, followed
from optimus.entrypoints.api.entry_responses import render_error

_API = "/v1/"
_DATASETS = "/v1/datasets/"
_DATASETS_LENGTH = len(_DATASETS)
_CHALLENGE = {"www-authenticate": 'Bearer realm="optimus"'}


class Authenticate:
    def __init__(self, app: ASGIApp, authenticator: Authenticator, recorder: AuditRecorder) -> None:
        self.app = app
        self._authenticator = authenticator
        self._recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # On every read: kept flat, the header found by one scan and kept as raw bytes,
        # the verdict and the role's answer each from a cache.
        if scope["type"] == "http" and (path := scope["path"]).startswith(_API):
            authorization = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    authorization = value
                    break
            try:
                principal = self._authenticator.principal(authorization)
                if path.startswith(_DATASETS) and scope["method"] == "GET":
                    dataset = path[_DATASETS_LENGTH:].partition("/")[0]
                    if not principal.may(Role.READER, dataset):
                        raise forbidden(principal.name, Role.READER, dataset)
            except OptimusError as exc:
                challenge = _CHALLENGE if isinstance(exc, Unauthenticated) else None
                rendered = render_error(exc, challenge)
                if not followed(scope):  # else AuditTrail records the refusal
                    await self._recorder.record(scope, rendered.status)
                headers = [
                    (b"content-type", rendered.content_type.encode()),
                    (b"content-length", b"%d" % len(rendered.body)),
                    *((k.encode(), v.encode()) for k, v in rendered.headers.items()),
                ]
                await send(
                    {"type": "http.response.start", "status": rendered.status, "headers": headers}
                )
                await send({"type": "http.response.body", "body": rendered.body})
                return
            scope[PRINCIPAL] = principal
        await self.app(scope, receive, send)
