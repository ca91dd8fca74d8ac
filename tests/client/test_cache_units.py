"""The cache's bounds and the pointer's ordering rules, without a server."""

from __future__ import annotations

from optimus.client.cache import ABSENT, NOT_CACHED, EntryCache, handed_out, stored_form
from optimus.client.pointers import ActivePointers
from optimus.client.transport import dapr_base_url


def test_the_least_recently_used_entries_go_first() -> None:
    cache = EntryCache(max_entries=2)
    cache.put("v", "t", "a", 1)
    cache.put("v", "t", "b", ABSENT)
    assert cache.get("v", "t", "a") == 1  # now b is the least recently used
    cache.put("v", "t", "c", 3)
    assert cache.get("v", "t", "b") is NOT_CACHED
    assert cache.get("v", "t", "a") == 1 and cache.get("v", "t", "c") == 3
    assert cache.get("other-version", "t", "a") is NOT_CACHED


def test_large_values_are_bounded_by_bytes() -> None:
    cache = EntryCache(max_entries=1000, max_bytes=10_000)
    for i in range(10):
        cache.put("v", "t", f"k{i}", stored_form({"blob": "x" * 3000}))
    assert len(cache) == 3
    assert handed_out(cache.get("v", "t", "k9")) == {"blob": "x" * 3000}
    assert cache.get("v", "t", "k0") is NOT_CACHED


def test_a_disabled_cache_keeps_nothing() -> None:
    cache = EntryCache(max_entries=0)
    cache.put("v", "t", "a", 1)
    assert cache.get("v", "t", "a") is NOT_CACHED


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_server_answers_older_than_the_last_event_are_ignored() -> None:
    clock = Clock()
    pointers = ActivePointers(ttl=1.0, clock=clock)
    asked_at = clock()
    clock.now += 0.1
    assert pointers.apply_event("ds", "v2", revision=4)
    pointers.observe("ds", "v1", asked_at)  # sent before the event was applied: older news
    assert pointers.fresh("ds") == "v2"
    pointers.observe("ds", "v3", clock())
    assert pointers.fresh("ds") == "v3"
    clock.now += 1.5
    assert pointers.fresh("ds") is None  # past the TTL: ask the server


def test_dapr_invocation_is_a_base_url_through_the_sidecar(monkeypatch) -> None:
    monkeypatch.setenv("DAPR_HTTP_PORT", "3777")
    assert dapr_base_url() == "http://127.0.0.1:3777/v1.0/invoke/optimus-api/method/v1"
    assert dapr_base_url("other", 3500).endswith(":3500/v1.0/invoke/other/method/v1")
