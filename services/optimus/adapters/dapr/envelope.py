"""Results of DatasetActor methods: a value, or a domain error that crosses the actor call intact.

Dapr turns an exception in an actor method into an opaque 500, so the actor
returns {"ok": false, "error": {...}} instead and the caller raises the same
`OptimusError` again.
"""

from __future__ import annotations

from typing import Any

from optimus.domain import errors

_KINDS: dict[str, type[errors.OptimusError]] = {
    kind.__name__: kind
    for kind in (
        errors.OptimusError,
        errors.InvalidInput,
        errors.NotFound,
        errors.Conflict,
        errors.Gone,
        errors.TooLarge,
        errors.Unavailable,
    )
}


def success(value: Any = None) -> dict[str, Any]:
    return {"ok": True, "value": value}


def failure(error: errors.OptimusError) -> dict[str, Any]:
    kind = next(k.__name__ for k in type(error).__mro__ if k.__name__ in _KINDS)
    return {
        "ok": False,
        "error": {
            "kind": kind,
            "message": error.message,
            "code": error.code,
            "details": error.details,
        },
    }


def unwrap(envelope: dict[str, Any]) -> Any:
    """The value, or raise the error the actor reported."""
    if envelope.get("ok"):
        return envelope.get("value")
    error = envelope["error"]
    raise _KINDS[error["kind"]](error["message"], code=error["code"], **error["details"])
