"""StreamVersion (a whole version, in order, resumable) and WatchDataset (state, then events)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

import grpc
import pytest

from optimus.v1 import optimus_pb2 as pb
from optimus.v1 import optimus_pb2_grpc
from tests.grpc.conftest import Optimus
from tests.grpc.test_reads_grpc import failure, metadata

Metadata = Sequence[tuple[str, str]]

ENTRIES = {
    "items": {f"k{i:03}": {"n": i} for i in range(250)},
    "items-b": {f"b{i}": i for i in range(30)},  # sorts before "items.z" and after "items"
    "items.z": {"z": "last"},
}


def entries(chunks: Iterator[pb.EntryChunk]) -> list[tuple[str, str, bytes]]:
    return [
        (chunk.table, key, value)
        for chunk in chunks
        for key, value in zip(chunk.keys, chunk.values, strict=True)
    ]


@pytest.fixture
def version(optimus: Optimus) -> tuple[str, str]:
    dataset = optimus.api.create_dataset(tables=tuple(ENTRIES))
    version_id = optimus.api.create_version(dataset)
    for table, table_entries in ENTRIES.items():
        optimus.api.load(dataset, version_id, table, table_entries)
    assert optimus.api.save(version_id)["status"] == "SAVED"
    optimus.api.publish(version_id)
    return dataset, version_id


def test_a_version_streams_every_entry_in_table_then_key_order(optimus, version):
    dataset, version_id = version
    stream = optimus.stub.StreamVersion(pb.StreamVersionRequest(dataset=dataset, chunk_size=100))
    got = entries(stream)
    assert metadata(stream.initial_metadata())["x-version-id"] == version_id
    assert [(t, k) for t, k, _ in got] == sorted(
        (t, k) for t, table_entries in ENTRIES.items() for k in table_entries
    )
    assert got[0] == ("items", "k000", b'{"n":0}')
    # Each value as a read of it gives it back.
    table, key, value = got[-1]
    assert optimus.api.get(dataset, table, key).content == value


def test_a_stream_resumed_after_any_entry_equals_the_full_stream(optimus, version):
    dataset, version_id = version
    full = entries(optimus.stub.StreamVersion(pb.StreamVersionRequest(dataset=dataset)))
    for cut in (0, 1, 99, 249, 250, 265, len(full) - 1):
        table, key, _ = full[cut]
        request = pb.StreamVersionRequest(
            dataset=dataset, version_id=version_id, after_table=table, after_key=key, chunk_size=7
        )
        assert full[: cut + 1] + entries(optimus.stub.StreamVersion(request)) == full


def test_one_table_streams_alone_and_a_table_position_resumes_it_whole(optimus, version):
    dataset, _ = version
    one = entries(
        optimus.stub.StreamVersion(pb.StreamVersionRequest(dataset=dataset, table="items-b"))
    )
    assert [k for _, k, _ in one] == sorted(ENTRIES["items-b"])
    request = pb.StreamVersionRequest(dataset=dataset, after_table="items-b")
    assert {t for t, _, _ in entries(optimus.stub.StreamVersion(request))} == {"items-b", "items.z"}


def test_large_values_come_in_chunks_of_at_most_a_mebibyte(optimus):
    dataset = optimus.api.create_dataset()
    big = {f"k{i:02}": "x" * 100_000 for i in range(30)}  # 3 MB: one page, several chunks
    version_id = optimus.api.create_version(dataset)
    for batch in range(0, 30, 10):
        keys = sorted(big)[batch : batch + 10]
        optimus.api.load(dataset, version_id, "items", {k: big[k] for k in keys})
    assert optimus.api.save(version_id)["status"] == "SAVED"
    optimus.api.publish(version_id)
    chunks = list(optimus.stub.StreamVersion(pb.StreamVersionRequest(dataset=dataset)))
    assert len(chunks) == 3
    assert all(sum(map(len, chunk.values)) <= 1 << 20 for chunk in chunks)
    assert [k for _, k, _ in entries(iter(chunks))] == sorted(big)


BAD_STREAMS = {
    "unknown dataset": ({"dataset": "no-such-dataset"}, "NOT_FOUND", "not-found"),
    "no dataset": ({"dataset": ""}, "INVALID_ARGUMENT", "invalid-input"),
    "unknown table": ({"table": "nope"}, "NOT_FOUND", "not-found"),
    "unknown version": ({"version_id": "nope"}, "NOT_FOUND", "not-found"),
    "key without table": ({"after_key": "k1"}, "INVALID_ARGUMENT", "invalid-position"),
    "bad key": ({"after_table": "items", "after_key": "a b"}, "INVALID_ARGUMENT", "invalid-key"),
    "huge chunks": ({"chunk_size": 10_001}, "INVALID_ARGUMENT", "invalid-page-size"),
}


@pytest.mark.parametrize(
    ("changes", "status", "code"), BAD_STREAMS.values(), ids=BAD_STREAMS.keys()
)
def test_bad_streams_get_a_status_and_the_rest_error_code(optimus, version, changes, status, code):
    request = pb.StreamVersionRequest(**({"dataset": version[0]} | changes))
    error = failure(lambda r: list(optimus.stub.StreamVersion(r)), request)
    assert error.code() == getattr(grpc.StatusCode, status)
    assert metadata(error.trailing_metadata())["optimus-error-code"] == code


class Watch:
    """WatchDataset read on a thread, so the test can act while it waits for changes."""

    def __init__(
        self, stub: optimus_pb2_grpc.OptimusStub, dataset: str, metadata: Metadata = ()
    ) -> None:
        self.call = stub.WatchDataset(pb.WatchDatasetRequest(dataset=dataset), metadata=metadata)
        self.changes: queue.Queue[pb.DatasetChange] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for change in self.call:
                self.changes.put(change)
        except grpc.RpcError:
            pass  # cancelled at the end of the test

    def next(self) -> pb.DatasetChange:
        return self.changes.get(timeout=30)

    def until(self, event_type: str, version_id: str) -> pb.VersionEvent:
        while (change := self.next().event).type != event_type or change.version_id != version_id:
            pass
        return change


def test_a_watch_starts_with_the_state_then_sees_a_publish_and_a_rollback_in_order(optimus):
    dataset = optimus.api.create_dataset()
    first = optimus.api.publish_new(dataset, "items", {"k": 1})
    watch = Watch(optimus.stub, dataset)
    try:
        current = watch.next().current
        assert (current.dataset, current.active_version_id) == (dataset, first)
        assert current.version_statuses[first] == "PUBLISHED"
        second = optimus.api.publish_new(dataset, "items", {"k": 2})
        published = watch.until("published", second)
        optimus.api.publish(first)  # the rollback
        rolled_back = watch.until("published", first)
    finally:
        watch.call.cancel()
    assert (published.active_version_id, published.previous_active_version_id) == (second, first)
    assert (rolled_back.active_version_id, rolled_back.previous_active_version_id) == (
        first,
        second,
    )
    assert current.revision < published.revision < rolled_back.revision


def test_watching_an_unknown_dataset_is_not_found(optimus):
    error = failure(
        lambda r: list(optimus.stub.WatchDataset(r)), pb.WatchDatasetRequest(dataset="nope")
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert metadata(error.trailing_metadata())["optimus-error-code"] == "not-found"
