"""--log-format json: every line of the server's log is one JSON object, naming the request."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.api import Api
from tests.support.server import OptimusServer


def test_every_log_line_is_a_json_object_and_a_publish_names_its_request(tmp_path: Path) -> None:
    server = OptimusServer(tmp_path / "data", "--log-format", "json", "--log-level", "info").start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            name = api.create_dataset()
            version = api.create_version(name)
            api.load(name, version, "items", {"a": 1})
            api.save(version)
            published = client.post(
                f"/versions/{version}/publish",
                headers={"x-request-id": "req-publish-1", "x-optimus-user": "ana"},
            )
            assert published.status_code == 202
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line]
    assert lines
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys()
    of_request = [line for line in lines if line.get("request_id") == "req-publish-1"]
    assert {line["version"] for line in of_request} == {version}
    (publish,) = [
        line for line in of_request if line["logger"] == "optimus.service_layer.lifecycle"
    ]
    assert publish["dataset"] == name
    assert publish["principal"] == "ana"
