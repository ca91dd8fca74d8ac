"""The SDK's side of safe publishing: diff, history, stage and candidate reads, gates."""

from __future__ import annotations

import orjson
import pytest

from optimus.client import AsyncOptimusClient, Conflict, OptimusClient
from tests.client.conftest import Endpoint, publish
from tests.support.api import unique


def _saved(admin: OptimusClient, dataset: str, entries: dict) -> str:
    version = admin.create_version(dataset)
    body = orjson.dumps([{"table": "items", "key": k, "value": v} for k, v in entries.items()])
    admin.load_entries(dataset, version.id, body)
    assert admin.save(version.id, wait=True).status == "SAVED"
    return version.id


def test_diff_history_stage_and_candidate_reads(
    server: Endpoint, admin: OptimusClient, dataset: str
) -> None:
    v1 = publish(admin, dataset, {"a": 1, "b": 1})
    v2 = _saved(admin, dataset, {"a": 2, "c": 3})

    summary = admin.diff(v2)
    assert summary["against"] == v1
    assert summary["total"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 0}
    changes = list(admin.diff_entries(v2, page_size=1))
    assert [(c["key"], c["change"]) for c in changes] == [
        ("a", "changed"),
        ("b", "removed"),
        ("c", "added"),
    ]

    admin.stage(v2)
    assert admin.dataset(dataset).candidate_version_id == v2
    with OptimusClient(server.base_url) as reader:
        assert reader.get(dataset, "items", "a") == 1
        assert reader.get(dataset, "items", "a", track="candidate") == 2
        many = reader.get_many(dataset, "items", ["a", "c"], track="candidate")
        assert many.version_id == v2 and many.values == {"a": 2, "c": 3}
        assert reader.get(dataset, "items", "a") == 1  # the cache keeps the tracks apart

    history = admin.history(dataset, "items", "c")
    assert [(h["version"], h["present"]) for h in history] == [(v1, False), (v2, True)]


def test_a_gated_publish_is_refused_until_forced(admin: OptimusClient) -> None:
    dataset = unique("gated")
    admin.create_dataset(dataset, ["items"], publish_gates={"max-removed-fraction": 0.1})
    publish(admin, dataset, {f"k{i}": i for i in range(10)})
    bad = _saved(admin, dataset, {"k0": 0})
    with pytest.raises(Conflict) as refused:
        admin.publish(bad)
    assert refused.value.code == "publish-gates-failed"
    with pytest.raises(ValueError):
        admin.publish(bad, force=True)
    assert admin.publish(bad, force=True, reason="retired").status == "PUBLISHED"


async def test_the_async_client_diffs_and_reads_the_candidate(
    server: Endpoint, admin: OptimusClient, dataset: str
) -> None:
    publish(admin, dataset, {"a": 1})
    v2 = _saved(admin, dataset, {"a": 2})
    async with AsyncOptimusClient(server.base_url) as client:
        await client.stage(v2)
        assert await client.get(dataset, "items", "a", track="candidate") == 2
        assert (await client.diff(v2))["total"]["changed"] == 1
        assert [e["key"] async for e in client.diff_entries(v2)] == ["a"]
        assert len(await client.history(dataset, "items", "a")) == 2
        await client.unstage(v2)
        assert await client.get(dataset, "items", "a", track="candidate") == 1
