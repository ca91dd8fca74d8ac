"""Appends every change and every refusal under /v1 to the audit log, before the answer leaves.

`AuditTrail` is the outermost ASGI layer: it holds back the response's start
until the record is stored. It follows every /v1 request except reads under
/v1/datasets/ (the hot path), whose only refusals (401/403) are decided, and
recorded, by the `Authenticate` layer.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optimus.adapters.clock import SystemClock
from optimus.domain.audit import AuditEntry, outcome_of
from optimus.domain.errors import InvalidInput
from optimus.entrypoints.api.error_mapping import ErrorMapper, Rendered
from optimus.service_layer.audit import AuditLog

log = logging.getLogger(__name__)

PRINCIPAL = "optimus.principal"
# The dataset a route checked the caller's role on (set by `access.require`).
TARGET_DATASET = "optimus.dataset"
# What a route adds to its audit record (`AuditEntry.details`), e.g. an excision's key hashes.
AUDIT_DETAILS = "optimus.audit-details"
ANONYMOUS = "anonymous"
_API = "/v1/"
_DATASETS = "/v1/datasets/"
_VERSIONS = "/v1/versions/"
_REFUSED = frozenset({401, 403, 409})


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return value.decode("latin-1")
    return None


def claimed_user(scope: Scope, *, strict: bool = True) -> str:
    """Who the x-optimus-user header says calls, as the client wrote it (UTF-8).

    Header bytes that are not UTF-8 are refused (InvalidInput), or with `strict`
    off (for the audit record of a request refused anyway) shown with replacements.
    """
    for name, value in scope["headers"]:
        if name == b"x-optimus-user":
            try:
                return value.decode("utf-8") or ANONYMOUS
            except UnicodeDecodeError:
                if not strict:
                    return value.decode("utf-8", errors="replace")
                raise InvalidInput(
                    "the x-optimus-user header must be UTF-8", field="x-optimus-user"
                ) from None
    return ANONYMOUS


class AuditRecorder:
    def __init__(self, log: AuditLog, clock: SystemClock) -> None:
        self._log = log
        self._clock = clock

    async def record(self, scope: Scope, status: int) -> None:
        principal = scope.get(PRINCIPAL)
        path: str = scope["path"]
        parts = path.split("/")  # ["", "v1", "datasets"|"versions", name, "tables", table, …]
        query = parse_qs(scope["query_string"].decode("latin-1"))
        version = (query.get("version-id") or query.get("version") or [None])[-1]
        dataset = scope.get(TARGET_DATASET)
        table = None
        if path.startswith(_DATASETS):
            dataset = parts[3]
            table = parts[5] if len(parts) > 5 and parts[4] == "tables" else None
        elif path.startswith(_VERSIONS):
            version = parts[3]
        entry = AuditEntry(
            at=self._clock.now_ms(),
            principal=principal.name
            if principal is not None
            else claimed_user(scope, strict=False),
            action=f"{scope['method']} {path}",
            status=status,
            outcome=outcome_of(status),
            request_id=_header(scope, b"x-request-id") or uuid.uuid4().hex,
            dataset=dataset,
            version=version,
            table=table,
            details=scope.get(AUDIT_DETAILS),
        )
        await self._log.append(entry)


def followed(scope: Scope) -> bool:
    """Whether `AuditTrail` follows this /v1 request: all but reads under /v1/datasets/."""
    return scope["method"] != "GET" or not scope["path"].startswith(_DATASETS)


async def _send_rendered(send: Send, rendered: Rendered) -> None:
    headers = [
        (b"content-type", rendered.content_type.encode()),
        (b"content-length", b"%d" % len(rendered.body)),
        *((k.encode(), v.encode()) for k, v in rendered.headers.items()),
    ]
    await send({"type": "http.response.start", "status": rendered.status, "headers": headers})
    await send({"type": "http.response.body", "body": rendered.body})


class AuditTrail:
    def __init__(self, app: ASGIApp, recorder: AuditRecorder, errors: ErrorMapper) -> None:
        self.app = app
        self._recorder = recorder
        self._errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if not path.startswith(_API) or scope["type"] != "http" or not followed(scope):
            await self.app(scope, receive, send)
            return
        changes = scope["method"] != "GET"
        unrecorded = False

        async def send_after_recording(message: Message) -> None:
            nonlocal unrecorded
            if unrecorded:  # the answer sent is the audit log's failure, not this one
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                if changes or status in _REFUSED:
                    try:
                        await self._recorder.record(scope, status)
                    except Exception as exc:
                        # The answer may not leave unrecorded: the store's failure is the
                        # answer, as the host maps it (e.g. 503 store-unavailable), not a 500.
                        log.warning("audit record of %s not stored: %r", scope["path"], exc)
                        unrecorded = True
                        await _send_rendered(send, self._errors.render(exc))
                        return
            await send(message)

        await self.app(scope, receive, send_after_recording)
