"""Pre-publish hooks: other systems asked for a go/no-go before a version is published.

A hook answers proceed, abort or wait; anything else (an error, a timeout, a
body that is not a decision) counts as abort: hooks fail closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from optimus.domain.errors import InvalidInput

DEFAULT_TIMEOUT_MS = 2000
MAX_TIMEOUT_MS = 60_000
MAX_HOOKS = 10


class Decision(StrEnum):
    PROCEED = "proceed"
    ABORT = "abort"
    WAIT = "wait"


@dataclass(frozen=True, slots=True)
class PublishHook:
    """An HTTP endpoint (`url`), or a Dapr app's method called by service invocation."""

    url: str | None = None
    app_id: str | None = None
    method: str | None = None
    timeout_ms: int = DEFAULT_TIMEOUT_MS

    @property
    def target(self) -> str:
        return self.url or f"dapr://{self.app_id}/{self.method}"

    def to_dict(self) -> dict[str, Any]:
        where = {"url": self.url} if self.url else {"app-id": self.app_id, "method": self.method}
        return where | {"timeout-ms": self.timeout_ms}


@dataclass(frozen=True, slots=True)
class HookAnswer:
    hook: str  # its target
    decision: Decision
    message: str


def _hook(raw: object, index: int) -> PublishHook:
    where = f"publish-hooks[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where} must be an object", field="publish-hooks")
    timeout = raw.get("timeout-ms", DEFAULT_TIMEOUT_MS)
    if type(timeout) is not int or not 1 <= timeout <= MAX_TIMEOUT_MS:
        raise InvalidInput(
            f"{where}.timeout-ms must be an integer from 1 to {MAX_TIMEOUT_MS}",
            field="publish-hooks",
        )
    url, app_id, method = raw.get("url"), raw.get("app-id"), raw.get("method")
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidInput(
                f"{where}.url must be an http:// or https:// URL", field="publish-hooks"
            )
        return PublishHook(url=url, timeout_ms=timeout)
    if isinstance(app_id, str) and app_id and isinstance(method, str) and method:
        return PublishHook(app_id=app_id, method=method.lstrip("/"), timeout_ms=timeout)
    raise InvalidInput(
        f"{where} needs a url, or an app-id and a method (Dapr service invocation)",
        field="publish-hooks",
    )


def parse_publish_hooks(raw: object) -> tuple[PublishHook, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_HOOKS:
        raise InvalidInput(
            f"publish-hooks must be a list of at most {MAX_HOOKS} hooks", field="publish-hooks"
        )
    return tuple(_hook(item, index) for index, item in enumerate(raw))


def answer_from(hook: PublishHook, body: object) -> HookAnswer:
    """The hook's decision from its JSON body; abort if it is not one."""
    decision = body.get("decision") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    if decision not in {str(d) for d in Decision}:
        return HookAnswer(hook.target, Decision.ABORT, f"not a decision: {str(body)[:200]}")
    return HookAnswer(hook.target, Decision(decision), str(message or ""))
