"""The read cache: entries cached by version never go stale; only the active pointer moves."""

from __future__ import annotations

import time

import pytest

from optimus.client import KeyNotFound, OptimusClient
from tests.client.conftest import CountingTransport, Endpoint, publish


@pytest.fixture
def cached(server: Endpoint, counted: CountingTransport) -> OptimusClient:
    """A client whose active pointer is trusted for a minute: only events move it sooner."""
    return OptimusClient(server.base_url, active_ttl=60, transport=counted)


def test_a_hit_sends_nothing_and_a_known_miss_neither(
    cached: OptimusClient, counted: CountingTransport, admin: OptimusClient, dataset: str
) -> None:
    publish(admin, dataset, {"a": {"n": [1]}})
    assert cached.get(dataset, "items", "a") == {"n": [1]}
    with pytest.raises(KeyNotFound):
        cached.get(dataset, "items", "zz")
    sent = len(counted.requests)
    for _ in range(3):
        value = cached.get(dataset, "items", "a")
        value["n"].append(2)  # a caller's change does not reach the cache
        with pytest.raises(KeyNotFound):
            cached.get(dataset, "items", "zz")
    assert cached.get(dataset, "items", "a") == {"n": [1]}
    assert len(counted.requests) == sent


def test_get_many_asks_only_for_keys_not_cached_from_the_same_version(
    cached: OptimusClient, counted: CountingTransport, admin: OptimusClient, dataset: str
) -> None:
    version_id = publish(admin, dataset, {"a": 1, "b": 2, "c": 3})
    assert cached.get(dataset, "items", "a") == 1
    counted.requests.clear()
    many = cached.get_many(dataset, "items", ["a", "b", "zz"])
    assert (many.version_id, many.values, many.missing) == (version_id, {"a": 1, "b": 2}, ["zz"])
    [request] = counted.requests
    assert request.url.params.get_list("key") == ["b", "zz"]
    assert request.url.params["version-id"] == version_id
    assert cached.get_many(dataset, "items", ["b", "zz", "a"]).values == {"a": 1, "b": 2}
    assert len(counted.requests) == 1


def test_the_active_pointer_is_rechecked_after_its_ttl(
    server: Endpoint, admin: OptimusClient, dataset: str
) -> None:
    # A TTL well beyond the second publish's duration on a busy machine.
    client = OptimusClient(server.base_url, active_ttl=3)
    publish(admin, dataset, {"a": 1})
    assert client.get(dataset, "items", "a") == 1
    publish(admin, dataset, {"a": 2})
    assert client.get(dataset, "items", "a") == 1  # within the TTL: the version it knows
    time.sleep(3.05)
    assert client.get(dataset, "items", "a") == 2
    assert client.get_many(dataset, "items", ["a"]).values == {"a": 2}


def test_a_publish_event_moves_the_pointer_at_once_and_old_events_do_not(
    cached: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    first = publish(admin, dataset, {"a": 1})
    assert cached.get(dataset, "items", "a") == 1
    second = publish(admin, dataset, {"a": 2})
    assert cached.get(dataset, "items", "a") == 1
    event = {"type": "published", "dataset": dataset, "version_id": second}
    assert cached.handle_version_event({**event, "active_version_id": second, "revision": 7})
    assert cached.get(dataset, "items", "a") == 2
    # A duplicate, then an older event delivered late (at-least-once, unordered): ignored.
    assert not cached.handle_version_event({**event, "active_version_id": second, "revision": 7})
    assert not cached.handle_version_event({**event, "active_version_id": first, "revision": 5})
    assert cached.get(dataset, "items", "a") == 2
    # The rollback arrives as a CloudEvent envelope, as a subscription route receives it.
    rollback = {**event, "version_id": first, "active_version_id": first, "revision": 9}
    envelope = {"specversion": "1.0", "type": "optimus.version.published", "data": rollback}
    assert cached.handle_version_event(envelope)
    assert cached.get(dataset, "items", "a") == 1


def test_a_pointer_to_a_version_gone_meanwhile_falls_back_to_the_active_one(
    cached: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    first = publish(admin, dataset, {"a": 1, "b": 1})
    assert cached.get(dataset, "items", "a") == 1
    publish(admin, dataset, {"a": 2, "b": 2})
    admin.discard(first)  # demoted to SAVED by the publish, then discarded
    assert cached.get(dataset, "items", "a") == 1  # still cached: entries never go stale
    assert cached.get(dataset, "items", "b") == 2  # a miss: the pinned read is refused, so ask
    assert cached.get_many(dataset, "items", ["a", "b"]).values == {"a": 2, "b": 2}


def test_an_excised_event_drops_the_version_from_the_cache(
    cached: OptimusClient, admin: OptimusClient, dataset: str
) -> None:
    version_id = publish(admin, dataset, {"a": {"mail": "a@x"}, "b": 2})
    assert cached.get(dataset, "items", "a") == {"mail": "a@x"}
    done = admin.excise(dataset, "items", ["a"], reason="erasure")
    assert done["versions"] == [version_id]
    assert cached.get(dataset, "items", "a") == {"mail": "a@x"}  # cached under the version
    event = {"type": "excised", "dataset": dataset, "version_id": version_id}
    cached.handle_version_event({**event, "active_version_id": version_id, "revision": 99})
    with pytest.raises(KeyNotFound) as excised:
        cached.get(dataset, "items", "a")
    assert excised.value.code == "excised"
    assert cached.get(dataset, "items", "b") == 2
