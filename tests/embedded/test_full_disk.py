"""A full disk: clear, retryable errors, reads go on, nothing acknowledged is lost,
and the server resumes writing by itself once space is back (no restart)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api
from tests.support.server import OptimusServer
from tests.support.small_disk import small_disk
from tests.support.waiting import eventually

BATCH = 1000
VALUE = "x" * 1000  # ~1 MB per batch: the 60 MB disk fills within a few dozen batches


@pytest.fixture
def full_disk_server(tmp_path: Path) -> Iterator[tuple[OptimusServer, Path]]:
    with small_disk(tmp_path / "disk", megabytes=60) as disk:
        server = OptimusServer(disk / "data")
        server.log_path = tmp_path / "server.log"  # not on the disk that fills up
        server.start()
        try:
            yield server, disk
        finally:
            server.stop()


def batch(number: int) -> list[dict[str, str]]:
    return [{"key": f"k{number}-{n}", "value": VALUE} for n in range(BATCH)]


class Connection:
    """One keep-alive connection: a request that fails must not close it."""

    def __init__(self, server: OptimusServer) -> None:
        self._http = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        self._http.connect()
        self._socket = self._http.sock

    def send(self, method: str, path: str, body: object = None) -> tuple[int, dict, dict]:
        data = None if body is None else json.dumps(body)
        headers = {"content-type": "application/json"} if data else {}
        self._http.request(method, f"/v1{path}", body=data, headers=headers)
        response = self._http.getresponse()
        payload = json.loads(response.read() or b"null")
        assert self._http.sock is self._socket and not response.will_close, "connection dropped"
        return response.status, dict(response.getheaders()), payload

    def close(self) -> None:
        self._http.close()


def test_a_full_disk_refuses_writes_clearly_and_writing_resumes_once_space_is_back(
    full_disk_server: tuple[OptimusServer, Path],
) -> None:
    server, disk = full_disk_server
    api = Api(httpx.Client(base_url=server.base_url, timeout=30))
    name = api.create_dataset()
    published = api.publish_new(name, "items", {"a": 1})
    loading = api.create_version(name)
    filler = disk / "filler"
    # What the operator frees later: more than a memtable (32 MiB), which RocksDB needs
    # free before it resumes writing (docs/operations.md, "A full disk").
    filler.write_bytes(b"\0" * (40 << 20))
    connection = Connection(server)
    path = f"/datasets/{name}/tables/items/entries?version-id={loading}"

    acknowledged = 0
    for number in range(200):
        status, headers, body = connection.send("POST", path, batch(number))
        if status != 201:
            break
        acknowledged += 1
    else:
        pytest.fail("the disk never filled up")
    refused = number
    assert status == 503, body
    assert body["status"] == "error" and body["code"] == "insufficient-storage"
    assert int(headers["retry-after"]) > 0
    versions_before = api.client.get("/versions", params={"dataset": name}).json()

    # On the same connection: the metadata store refuses too, and reads go on.
    status, _, body = connection.send("POST", "/versions", {"dataset": name})
    assert (status, body["code"]) == (503, "insufficient-storage")
    status, _, body = connection.send("POST", f"/versions/{loading}/save")
    assert (status, body["code"]) == (503, "insufficient-storage")
    status, _, value = connection.send("GET", f"/datasets/{name}/tables/items/entries/a")
    assert (status, value) == (200, 1)
    assert api.client.get("/versions", params={"dataset": name}).json() == versions_before

    filler.unlink()  # the operator makes room; no restart

    def load_again() -> bool:
        status, _, body = connection.send("POST", path, batch(refused))
        assert status in (201, 503), body
        return status == 201

    eventually(load_again, timeout=60, pause=1, what="writing to resume")
    saved = api.save(loading)
    assert saved["status"] == "SAVED"
    assert saved["counts"] == {"items": (acknowledged + 1) * BATCH}
    for number in range(refused + 1):  # every acknowledged batch, and the one retried
        keys = [f"k{number}-{n}" for n in range(BATCH)]
        found = api.get_many(name, "items", keys, loading).json()
        assert found["keys-found"] == BATCH
    assert api.create_version(name)
    assert api.get(name, "items", "a", published).json() == 1
    connection.close()
