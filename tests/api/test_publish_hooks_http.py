"""Pre-publish hooks: other systems say proceed, abort or wait; anything else is an abort."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.ports import free_port

ANSWERS: dict[str, tuple[int, bytes]] = {
    "/proceed": (200, b'{"decision": "proceed", "message": "checks green"}'),
    "/abort": (200, b'{"decision": "abort", "message": "scores look wrong"}'),
    "/wait": (200, b'{"decision": "wait", "message": "upstream job still running"}'),
    "/garbage": (200, b"<html>not json</html>"),
    "/undecided": (200, b'{"decision": "maybe"}'),
    "/error": (500, b'{"decision": "proceed"}'),
}


class HookServer:
    """A small real HTTP server on 127.0.0.1 answering as the hooks of these tests do."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                outer.requests.append(json.loads(self.rfile.read(length)))
                if self.path == "/slow":
                    time.sleep(1.0)
                status, body = ANSWERS.get(self.path, (200, ANSWERS["/proceed"][1]))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HookServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def hooks() -> Iterator[HookServer]:
    with HookServer() as server:
        yield server


def _hook_lines(api: Api, version_id: str) -> list[str]:
    log = api.version(version_id)["operation-log"]
    return [op["reason"] for op in log if op["action"] == "PUBLISH_HOOK"]


def test_hooks_that_proceed_get_the_version_and_diff_and_the_publish_goes_on(
    api: Api, client: httpx.Client, hooks: HookServer
) -> None:
    dataset = api.create_dataset(**{"publish-hooks": [{"url": hooks.url + "/proceed"}]})
    v1 = api.publish_new(dataset, "items", {"a": 1})
    v2 = api.create_version(dataset)
    api.load(dataset, v2, "items", {"a": 2, "b": 2})
    api.save(v2)
    hooks.requests.clear()
    api.publish(v2)
    assert api.dataset(dataset)["active-version"]["id"] == v2
    asked = hooks.requests[-1]
    assert asked["dataset"] == dataset and asked["version"]["id"] == v2
    assert asked["active-version"] == v1
    assert asked["diff"]["total"] == {"added": 1, "removed": 0, "changed": 1, "unchanged": 0}
    assert _hook_lines(api, v2) == [f"{hooks.url}/proceed: proceed: checks green"]


@pytest.mark.parametrize(
    ("path", "code", "said"),
    [
        ("/abort", "publish-hook-abort", "scores look wrong"),
        ("/wait", "publish-hook-wait", "upstream job still running"),
        ("/slow", "publish-hook-abort", "no answer within 200 ms"),
        ("/garbage", "publish-hook-abort", "not JSON"),
        ("/undecided", "publish-hook-abort", "not a decision"),
        ("/error", "publish-hook-abort", "HTTP 500"),
        ("down", "publish-hook-abort", "unreachable"),
    ],
)
def test_a_hook_that_does_not_say_proceed_stops_the_publish(
    api: Api, client: httpx.Client, hooks: HookServer, path: str, code: str, said: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook" if path == "down" else hooks.url + path
    ok = {"url": hooks.url + "/proceed"}
    dataset = api.create_dataset(**{"publish-hooks": [ok]})
    v1 = api.publish_new(dataset, "items", {"a": 1})
    # A second dataset with the hook under test, whose first publish has nothing to compare.
    gated = api.create_dataset(**{"publish-hooks": [ok, {"url": url, "timeout-ms": 200}]})
    v2 = api.create_version(gated)
    api.load(gated, v2, "items", {"a": 2})
    api.save(v2)

    refused = client.post(f"/versions/{v2}/publish")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == code and said in body["message"]
    if code == "publish-hook-wait":
        assert body["retry-after-seconds"] > 0
    assert api.dataset(gated)["active-version"] is None  # nothing was published
    lines = _hook_lines(api, v2)
    assert len(lines) == 2 and any(said in line for line in lines)
    assert api.dataset(dataset)["active-version"]["id"] == v1


def test_a_rollback_asks_no_hook(api: Api, client: httpx.Client, hooks: HookServer) -> None:
    dataset = api.create_dataset(**{"publish-hooks": [{"url": hooks.url + "/proceed"}]})
    v1 = api.publish_new(dataset, "items", {"a": 1})
    api.publish_new(dataset, "items", {"a": 2})
    hooks.requests.clear()
    assert client.post(f"/versions/{v1}/publish").status_code == 202
    assert hooks.requests == []


def test_bad_hooks_are_refused(client: httpx.Client) -> None:
    for hooks in (
        {"url": "x"},
        [{"url": "ftp://x"}],
        [{"timeout-ms": 5}],
        [{"url": "http://x", "timeout-ms": 0}],
    ):
        response = client.post(
            "/datasets", json={"name": "hooked-bad", "tables": ["t"], "publish-hooks": hooks}
        )
        assert response.status_code == 400, (hooks, response.text)
    assert client.get("/datasets/hooked-bad").status_code == 404
