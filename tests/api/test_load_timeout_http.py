"""Abandoned loads: a version that gets no batch for its dataset's load timeout fails."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import Api, unique
from tests.support.waiting import eventually


def _status_of(api: Api, version_id: str, status: str):
    def check():
        version = api.version(version_id)
        return version if version["status"] == status else None

    return check


def test_a_load_left_idle_past_its_timeout_fails_and_its_entries_are_collected(
    api: Api, client: httpx.Client
) -> None:
    name = api.create_dataset(**{"load-timeout-seconds": 1})
    assert api.dataset(name)["load-timeout-seconds"] == 1
    version_id = api.create_version(name)
    api.load(name, version_id, "items", {"a": 1, "b": 2})
    failed = eventually(_status_of(api, version_id, "FAILED"), timeout=60, pause=0.2)
    (line,) = [op for op in failed["operation-log"] if op["action"] == "FAILED"]
    assert "abandoned" in line["reason"] and "1 s" in line["reason"]
    api.wait_purged(version_id)
    refused = client.post(
        f"/datasets/{name}/tables/items/entries",
        params={"version-id": version_id},
        json=[{"key": "c", "value": 3}],
    )
    assert refused.status_code == 409


def test_a_dataset_without_a_timeout_keeps_its_load_waiting(api: Api) -> None:
    name = api.create_dataset()
    assert api.dataset(name)["load-timeout-seconds"] is None
    version_id = api.create_version(name)
    timed = api.create_dataset(**{"load-timeout-seconds": 1})
    timed_version = api.create_version(timed)
    eventually(_status_of(api, timed_version, "FAILED"), timeout=60, pause=0.2)
    assert api.version(version_id)["status"] == "AWAITING_ENTRIES"


@pytest.mark.parametrize("bad", [0, -5, 1.5, "60", True])
def test_a_bad_load_timeout_is_refused_and_nothing_is_created(
    client: httpx.Client, bad: object
) -> None:
    name = unique("ds")
    response = client.post(
        "/datasets", json={"name": name, "tables": ["items"], "load-timeout-seconds": bad}
    )
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "error"
    assert client.get(f"/datasets/{name}").status_code == 404
