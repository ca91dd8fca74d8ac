"""Typed errors of the client, mapped from the API's JSON errors.

The API answers every refusal with `{"status": "error", "message", "code",
...details}`; the status picks the class, and `code`, `message` and the
details are kept so that a caller can act on them (e.g. the `problems` of a
rejected batch).
"""

from __future__ import annotations

from typing import Any

import orjson


class OptimusClientError(Exception):
    """Base of every error the client raises."""


class ApiError(OptimusClientError):
    """The API refused a request (4xx) or failed (5xx)."""

    def __init__(
        self, status: int, message: str, code: str = "error", details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{message} (HTTP {status}, {code})")
        self.status = status
        self.message = message
        self.code = code
        self.details = details or {}


class BadRequest(ApiError):
    """400: the input is malformed or not allowed."""


class Unauthenticated(ApiError):
    """401: no token, or one the server does not accept (expired, revoked, wrongly signed)."""


class Forbidden(ApiError):
    """403: the token is valid but lacks the role on the dataset (`details` names both)."""


class NotFound(ApiError):
    """404: no such dataset, table, version or key."""


class KeyNotFound(NotFound):
    """404 `key-not-found`: the version that answered has no entry under the key (code
    `excised` when an excision removed it)."""


KEY_MISSES = frozenset({"key-not-found", "excised"})


class Conflict(ApiError):
    """409: valid, but not in the current state (e.g. loading into a saved version)."""


class Gone(ApiError):
    """410: the version's entries were deleted (discarded, failed or evicted)."""


class TooLarge(ApiError):
    """413: a value or the request is over a size limit."""


class TooManyRequests(ApiError):
    """429: the server (or a proxy) asks to slow down; worth retrying."""


class ServerError(ApiError):
    """5xx: the server or a proxy on the way failed; worth retrying."""


class ReplicasNotReady(ApiError):
    """504 `replicas-not-ready`: published, but some replica did not serve it in time.

    Not retried: the publish is done; `details["lagging"]` names the replicas.
    """


class Unavailable(OptimusClientError):
    """The request did not get an answer (connection refused or reset, timeout)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    413: TooLarge,
    429: TooManyRequests,
}
_RESERVED = frozenset({"status", "message", "code"})


def error_from_response(status: int, body: bytes) -> ApiError:
    """The typed error for a refused request, keeping its code, message and details."""
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        message = str(parsed.get("message") or f"HTTP {status}")
        code = str(parsed.get("code") or "error")
        details = {name: value for name, value in parsed.items() if name not in _RESERVED}
    else:  # a proxy's or a sidecar's page, not the API's
        message = body[:200].decode(errors="replace").strip() or f"HTTP {status}"
        code, details = "error", {}
    if status == 404 and code in KEY_MISSES:
        kind: type[ApiError] = KeyNotFound
    elif code == "replicas-not-ready":
        kind = ReplicasNotReady
    elif status >= 500:
        kind = ServerError
    else:
        kind = _BY_STATUS.get(status, ApiError)
    return kind(status, message, code, details)


def no_active_version(dataset: str) -> NotFound:
    message = f"dataset {dataset!r} has no published version"
    return NotFound(404, message, "no-active-version", {"dataset": dataset})


def is_transient(error: BaseException) -> bool:
    """Worth retrying as is: no answer, a 5xx, or a 429."""
    return isinstance(error, Unavailable | ServerError | TooManyRequests)
