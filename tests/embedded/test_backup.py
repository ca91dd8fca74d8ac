"""optimus backup: a consistent copy of a data dir taken while its server loads and publishes."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from typer.testing import CliRunner

from optimus.entrypoints.cli import cli
from tests.support.api import Api
from tests.support.server import OptimusServer
from tests.support.waiting import eventually

BATCHES = 200
BATCH_KEYS = 50


def _key(batch: int, index: int) -> str:
    return f"b{batch:03d}-{index:03d}"


def _published(api: Api, name: str, entries: dict[str, int]) -> str:
    version = api.create_version(name)
    api.load(name, version, "items", entries)
    assert api.save(version)["status"] == "SAVED"
    api.publish(version)
    return version


def test_a_backup_taken_during_a_load_and_a_publish_serves_everything_acknowledged(
    tmp_path: Path,
) -> None:
    server = OptimusServer(tmp_path / "data").start()
    acknowledged: list[int] = []
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            name = api.create_dataset()
            first = _published(api, name, {"a": 1, "b": 2})
            loading = api.create_version(name)

            def load() -> None:
                with httpx.Client(base_url=server.base_url, timeout=30) as loader:
                    for batch in range(BATCHES):
                        body = [{"key": _key(batch, i), "value": i} for i in range(BATCH_KEYS)]
                        path = f"/datasets/{name}/tables/items/entries"
                        answer = loader.post(path, params={"version-id": loading}, json=body)
                        assert answer.status_code == 201
                        acknowledged.append(batch)

            loader = threading.Thread(target=load)
            loader.start()
            eventually(lambda: len(acknowledged) >= 3, what="a few batches loaded")
            second = _published(api, name, {"a": 10})  # a publish while the load goes on
            acked_before = len(acknowledged)
            assert acked_before < BATCHES, "the load ended before the backup: make it longer"
            backup = tmp_path / "backup"
            result = CliRunner().invoke(
                cli, ["backup", "--data-dir", str(server.data_dir), "--to", str(backup)]
            )
            loader.join()
            assert result.exit_code == 0, result.output
    finally:
        server.stop()

    restored = OptimusServer(backup).start()
    try:
        with httpx.Client(base_url=restored.base_url, timeout=30) as client:
            api = Api(client)
            assert api.dataset(name)["active-version"]["id"] == second
            assert api.get(name, "items", "a").json() == 10
            assert api.get(name, "items", "b", first).json() == 2
            # The load goes on from the backup: everything acknowledged before it is there.
            assert api.version(loading)["status"] == "AWAITING_ENTRIES"
            saved = api.save(loading)
            assert saved["status"] == "SAVED"
            assert saved["counts"]["items"] >= acked_before * BATCH_KEYS
            keys = [_key(b, i) for b in range(acked_before) for i in range(BATCH_KEYS)]
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                read = api.get_many(name, "items", chunk, loading)
                assert read.status_code == 200
                assert read.json()["keys-found"] == len(chunk)
    finally:
        restored.stop()


def test_a_backup_into_a_non_empty_directory_is_refused(tmp_path: Path) -> None:
    server = OptimusServer(tmp_path / "data").start()
    try:
        (tmp_path / "taken").mkdir()
        (tmp_path / "taken" / "file").write_text("x")
        result = CliRunner().invoke(
            cli, ["backup", "--data-dir", str(server.data_dir), "--to", str(tmp_path / "taken")]
        )
        assert result.exit_code == 1
        assert "not empty" in result.output
    finally:
        server.stop()
