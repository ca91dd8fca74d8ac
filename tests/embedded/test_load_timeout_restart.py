"""The server's --load-timeout-seconds holds across a restart: a load left then still fails."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.api import Api
from tests.support.server import OptimusServer
from tests.support.waiting import eventually


def test_a_load_abandoned_before_a_crash_fails_after_the_restart(tmp_path: Path) -> None:
    server = OptimusServer(tmp_path / "data", "--load-timeout-seconds", "2").start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            name = api.create_dataset()
            version_id = api.create_version(name)
            api.load(name, version_id, "items", {"a": 1})
        server.kill()  # before the timeout ran out
        server.start()
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            assert api.version(version_id)["status"] == "AWAITING_ENTRIES"
            failed = eventually(
                lambda: (v := api.version(version_id))["status"] == "FAILED" and v,
                timeout=60,
                pause=0.2,
                what="the load timed out",
            )
            assert "abandoned" in failed["operation-log"][-1]["reason"]
    finally:
        server.stop()
