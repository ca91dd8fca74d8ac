"""Reads through the client: values, misses, one version per get_many, pinned snapshots."""

from __future__ import annotations

import pytest

from optimus.client import (
    BadRequest,
    Conflict,
    Gone,
    KeyNotFound,
    NotFound,
    OptimusClient,
    TooLarge,
    Unavailable,
)
from tests.client.conftest import Endpoint, publish
from tests.support.api import unique
from tests.support.ports import free_port


@pytest.fixture
def client(server: Endpoint) -> OptimusClient:
    return OptimusClient(server.base_url)


def test_get_and_get_many_read_the_active_version(
    client: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    version_id = publish(admin, dataset, {"a": {"n": 1}, "b": [1, 2], "c": "text", "d": None})
    assert client.get(dataset, "items", "a") == {"n": 1}
    assert client.get(dataset, "items", "d") is None
    many = client.get_many(dataset, "items", ["a", "b", "c", "d", "zz", "a"])
    assert many.version_id == version_id
    assert many.values == {"a": {"n": 1}, "b": [1, 2], "c": "text", "d": None}
    assert many.missing == ["zz"]
    assert "b" in many and many["c"] == "text" and len(many) == 4


def test_a_missing_key_is_a_typed_error_naming_the_version(
    client: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    version_id = publish(admin, dataset, {"a": 1})
    with pytest.raises(KeyNotFound) as missing:
        client.get(dataset, "items", "nope")
    assert missing.value.status == 404
    assert missing.value.code == "key-not-found"
    assert missing.value.details == {"key": "nope", "version": version_id}
    assert isinstance(missing.value, NotFound)


def test_many_keys_beyond_the_query_string_go_in_a_body(
    client: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    entries = {f"key-{i:04d}-{'x' * 40}": i for i in range(500)}
    publish(admin, dataset, entries)
    many = client.get_many(dataset, "items", list(entries))
    assert many.values == entries


def test_a_pinned_snapshot_reads_one_version_throughout(
    server: Endpoint, client: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    first = publish(admin, dataset, {"a": 1, "b": 1})
    with client.pin(dataset) as snapshot:
        assert snapshot.version_id == first
        assert snapshot.get("items", "a") == 1
        second = publish(admin, dataset, {"a": 2, "b": 2})
        assert snapshot.get("items", "b") == 1
        assert snapshot.get_many("items", ["a", "b"]).values == {"a": 1, "b": 1}
    with OptimusClient(server.base_url) as fresh, fresh.pin(dataset) as snapshot:
        assert snapshot.version_id == second
    with client.pin(dataset, version_id=first) as snapshot:
        assert snapshot.get("items", "a") == 1


def test_errors_keep_their_status_code_message_and_details(
    client: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    with pytest.raises(NotFound) as unknown:
        client.get(unique("nope"), "items", "a")
    assert unknown.value.code == "not-found" and "does not exist" in unknown.value.message
    with pytest.raises(NotFound) as unpublished, client.pin(dataset):
        pass
    assert unpublished.value.code == "no-active-version"
    with pytest.raises(BadRequest) as bad_key:
        client.get_many(
            dataset, "items", ["bad key!"], version_id=publish(admin, dataset, {"a": 1})
        )
    assert bad_key.value.code == "invalid-key"

    open_version = admin.create_version(dataset)
    with pytest.raises(Conflict) as not_saved:
        admin.publish(open_version.id)
    assert not_saved.value.code == "illegal-transition"
    with pytest.raises(TooLarge) as too_large:
        admin.load_entries(
            dataset,
            open_version.id,
            b'[{"table":"items","key":"k","value":"%s"}]' % (b"x" * (1 << 20)),
        )
    assert too_large.value.details["problems"][0]["key"] == "k"
    admin.discard(open_version.id)
    with pytest.raises(Gone):
        client.get(dataset, "items", "a", version_id=open_version.id)


def test_no_answer_is_unavailable() -> None:
    with OptimusClient(f"http://127.0.0.1:{free_port()}/v1") as client, pytest.raises(Unavailable):
        client.get("ds", "items", "a")


def test_inspection_of_datasets_and_versions(
    client: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    version_id = publish(admin, dataset, {"a": 1, "b": 2})
    found = client.dataset(dataset)
    assert found.tables == ["items"] and found.content_type == "application/json"
    assert found.active_version_id == version_id
    assert dataset in {d.name for d in client.datasets()}
    version = client.version(version_id)
    assert (version.status, version.entries, version.counts) == ("PUBLISHED", 2, {"items": 2})
    assert version.digest.startswith("blake2b-sum:")
    assert [op.action for op in version.operation_log][-1] == "PUBLISHED"
    assert [v.id for v in client.versions(dataset)] == [version_id]


def test_text_datasets_read_as_strings(client: OptimusClient, admin: OptimusClient) -> None:
    dataset = unique("text")
    admin.create_dataset(dataset, ["items"], content_type="text/csv")
    publish(admin, dataset, {"a": "1,2,3"})
    assert client.get(dataset, "items", "a") == "1,2,3"
    assert client.get_many(dataset, "items", ["a"]).values == {"a": "1,2,3"}
