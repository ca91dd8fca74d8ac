"""GET /metrics: the figures an operator watches move by what the requests did."""

from __future__ import annotations

import httpx

from tests.support.api import Api, unique
from tests.support.metrics import scrape, value
from tests.support.waiting import eventually

ENTRY_ROUTE = "/v1/datasets/{dataset}/tables/{table}/entries/{key}"
VERSION_ROUTE = "/v1/versions/{version_id}"


def _loaded_and_published(api: Api, entries: dict[str, int]) -> tuple[str, str]:
    name = api.create_dataset()
    version = api.create_version(name)
    api.load(name, version, "items", entries)
    assert api.save(version)["status"] == "SAVED"
    api.publish(version)
    return name, version


def test_requests_are_counted_by_route_template_and_status(api: Api, client: httpx.Client) -> None:
    name, _ = _loaded_and_published(api, {"a": 1})
    before = scrape(client)
    for _ in range(3):
        assert api.get(name, "items", "a").status_code == 200
    assert api.get(name, "items", "missing").status_code == 404
    assert client.get("/versions/no-such-version").status_code == 404
    after = scrape(client)

    def moved(metric: str, **labels: str) -> float:
        return value(after, metric, **labels) - value(before, metric, **labels)

    requests = "optimus_http_requests_total"
    assert moved(requests, method="GET", route=ENTRY_ROUTE, status="200") == 3
    assert moved(requests, method="GET", route=ENTRY_ROUTE, status="404") == 1
    assert moved(requests, method="GET", route=VERSION_ROUTE, status="404") == 1
    latency = "optimus_http_request_duration_seconds_count"
    assert moved(latency, method="GET", route=ENTRY_ROUTE) == 4
    # Every answered request fell in the +Inf bucket, and its time was added up.
    inf = "optimus_http_request_duration_seconds_bucket"
    assert moved(inf, method="GET", route=ENTRY_ROUTE, le="+Inf") == 4
    assert moved("optimus_http_request_duration_seconds_sum", method="GET", route=ENTRY_ROUTE) > 0


def test_loads_saves_publishes_and_rollbacks_are_counted(api: Api, client: httpx.Client) -> None:
    before = scrape(client)
    name, first = _loaded_and_published(api, {"a": 1, "b": 2, "c": 3})
    second = api.create_version(name)
    api.load(name, second, "items", {"a": 10})
    api.load(name, second, "items", {"b": 20})
    api.save(second)
    api.publish(second)
    api.publish(first)  # the rollback
    refused = client.post(f"/versions/{unique('nope')}/publish")
    assert refused.status_code == 404
    after = scrape(client)

    def moved(metric: str, **labels: str) -> float:
        return value(after, metric, **labels) - value(before, metric, **labels)

    assert moved("optimus_entries_loaded_total") == 5
    assert value(after, "optimus_load_batches_in_flight") == 0
    operations = "optimus_operation_duration_seconds_count"
    assert moved(operations, operation="save", outcome="SAVED") == 2
    assert moved(operations, operation="publish", outcome="ok") == 2
    assert moved(operations, operation="rollback", outcome="ok") == 1
    assert moved(operations, operation="publish", outcome="refused") == 1
    assert value(after, "optimus_versions", dataset=name, status="PUBLISHED") == 1
    assert value(after, "optimus_versions", dataset=name, status="SAVED") == 1
    assert value(after, "optimus_active_version_sequence", dataset=name) == 1


def test_garbage_collection_and_reads_are_counted(api: Api, client: httpx.Client) -> None:
    name, _ = _loaded_and_published(api, {"a": 1})
    doomed = api.create_version(name)
    api.load(name, doomed, "items", {f"k{i}": i for i in range(200)})
    api.save(doomed)
    before = scrape(client)
    assert client.post(f"/versions/{doomed}/discard").status_code == 200
    api.wait_purged(doomed)
    purged = "optimus_gc_versions_purged_total"

    def counted():  # a pass counts its purges once it has recorded them: wait for that
        samples = scrape(client)
        return samples if value(samples, purged) > value(before, purged) else None

    after = eventually(counted, what="the purge counted")
    assert value(after, "optimus_gc_runs_total") > value(before, "optimus_gc_runs_total")
    embedded = ("optimus_rocksdb_live_sst_bytes", frozenset()) in after
    if embedded:  # the disk space given back is measured where the host owns the disk
        assert value(after, "optimus_gc_reclaimed_bytes_total") > value(
            before, "optimus_gc_reclaimed_bytes_total"
        )
        assert value(after, "optimus_rocksdb_live_sst_bytes") > 0
        assert value(after, "optimus_rocksdb_block_cache_usage_bytes") > 0
    else:  # the Dapr replicas keep a read cache in front of the state store
        start = scrape(client)
        api.get(name, "items", "a")
        api.get(name, "items", "a")
        end = scrape(client)
        hits = value(end, "optimus_read_cache_hits_total") - value(
            start, "optimus_read_cache_hits_total"
        )
        misses = value(end, "optimus_read_cache_misses_total") - value(
            start, "optimus_read_cache_misses_total"
        )
        assert hits + misses == 2 and hits >= 1
