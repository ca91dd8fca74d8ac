"""Pre-publish hooks over HTTP: a URL, or a Dapr app's method through the sidecar."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from optimus.domain.hooks import Decision, HookAnswer, PublishHook, answer_from


class HttpPublishHooks:
    def __init__(self, dapr_http_port: int | None = None) -> None:
        # With a sidecar, app-id hooks go through Dapr service invocation.
        self._dapr_http_port = dapr_http_port
        self._http: httpx.AsyncClient | None = None

    def _url(self, hook: PublishHook) -> str | None:
        if hook.url is not None:
            return hook.url
        if self._dapr_http_port is None:
            return None
        return f"http://127.0.0.1:{self._dapr_http_port}/v1.0/invoke/{hook.app_id}/method/{hook.method}"

    async def ask(self, hook: PublishHook, request: dict[str, Any]) -> HookAnswer:
        url = self._url(hook)
        if url is None:
            reason = "an app-id hook needs the Dapr host (no sidecar here)"
            return HookAnswer(hook.target, Decision.ABORT, reason)
        if self._http is None:  # made in the running event loop, on first use
            self._http = httpx.AsyncClient()
        try:
            response = await self._http.post(
                url,
                content=orjson.dumps(request),
                headers={"content-type": "application/json"},
                timeout=hook.timeout_ms / 1000,
            )
        except httpx.TimeoutException:
            return HookAnswer(hook.target, Decision.ABORT, f"no answer within {hook.timeout_ms} ms")
        except httpx.HTTPError as exc:
            return HookAnswer(hook.target, Decision.ABORT, f"unreachable: {exc!r}")
        if response.status_code >= 400:
            return HookAnswer(hook.target, Decision.ABORT, f"answered HTTP {response.status_code}")
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return HookAnswer(hook.target, Decision.ABORT, "answered something that is not JSON")
        return answer_from(hook, body)
