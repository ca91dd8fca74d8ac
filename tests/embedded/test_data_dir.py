"""One server per data dir: a second one refuses to start and the first goes on."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.support.api import Api
from tests.support.ports import free_port
from tests.support.server import OptimusServer


def test_a_second_server_on_the_same_data_dir_refuses_to_start(server: OptimusServer) -> None:
    api = Api(httpx.Client(base_url=server.base_url, timeout=30))
    dataset = api.create_dataset()
    api.publish_new(dataset, "items", {"k": 1})

    second = subprocess.run(
        [sys.executable, "-m", "optimus", "serve", "--port", str(free_port()),
         "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert second.returncode == 1
    assert f"cannot open {server.data_dir}: another process" in second.stderr
    read = api.client.get(f"/datasets/{dataset}/tables/items/entries/k")
    assert (read.status_code, read.json()) == (200, 1)
