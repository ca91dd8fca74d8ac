"""The gRPC API as consumers on Dapr reach it: through their sidecar, `dapr-app-id: optimus-reads`.

Dapr proxies a gRPC call to the target app's port over HTTP/2 whatever the app
channel; optimus-api's port is its HTTP server, so gRPC goes to a second app id,
optimus-reads: the same code, its gRPC port as the app port (docs/grpc.md).
Redis pub/sub, so that the reads replica gets the version events too.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import httpx
import pytest

from optimus.dapr_runtime import AppReplica, DaprCluster
from optimus.hosts.dapr.components import READS_APP_ID
from optimus.v1 import optimus_pb2 as pb
from optimus.v1 import optimus_pb2_grpc
from tests.grpc.test_reads_grpc import failure, metadata
from tests.grpc.test_streams_grpc import Watch, entries
from tests.support.api import Api
from tests.support.dapr_optimus import start_api, start_reads
from tests.support.waiting import eventually

TO_READS = (("dapr-app-id", READS_APP_ID),)


def served(stub: optimus_pb2_grpc.OptimusStub, dataset: str, key: str, version_id: str) -> None:
    """Until optimus-reads answers from `version_id`: replicas learn of a publish by its event."""

    def answers() -> bool:
        try:
            _, call = stub.Get.with_call(
                pb.GetRequest(dataset=dataset, table="items", key=key), metadata=TO_READS
            )
        except grpc.RpcError:
            return False
        return metadata(call.trailing_metadata())["x-version-id"] == version_id

    eventually(answers, timeout=30, what=f"optimus-reads serving {version_id}")


@pytest.fixture(scope="module")
def dapr_apps(tmp_path_factory) -> Iterator[tuple[AppReplica, AppReplica]]:
    with DaprCluster("redis", tmp_path_factory.mktemp("grpc-through-dapr")) as cluster:
        api = start_api(cluster)
        reads, _ = start_reads(cluster)
        yield api, reads


@pytest.fixture
def optimus(dapr_apps) -> Iterator:
    """REST on optimus-api; gRPC through the sidecar of optimus-api (any sidecar would do)."""
    api, _ = dapr_apps
    with (
        httpx.Client(base_url=f"{api.app_url}/v1", timeout=30) as http,
        grpc.insecure_channel(api.grpc_endpoint) as channel,
    ):
        yield Api(http), optimus_pb2_grpc.OptimusStub(channel)


def test_reads_through_the_sidecar_answer_with_the_version_metadata(optimus):
    api, stub = optimus
    dataset = api.create_dataset()
    version_id = api.publish_new(dataset, "items", {"k1": "v1", "k2": "v2"})
    served(stub, dataset, "k1", version_id)
    response, call = stub.Get.with_call(
        pb.GetRequest(dataset=dataset, table="items", key="k1"), metadata=TO_READS
    )
    assert response.value == b'"v1"'
    assert metadata(call.trailing_metadata())["x-version-id"] == version_id
    request = pb.GetManyRequest(dataset=dataset, table="items", keys=["k1", "k2", "x"])
    many = stub.GetMany(request, metadata=TO_READS)
    assert (dict(many.values), list(many.missing_keys)) == ({"k1": b'"v1"', "k2": b'"v2"'}, ["x"])
    streamed = entries(
        stub.StreamVersion(pb.StreamVersionRequest(dataset=dataset), metadata=TO_READS)
    )
    assert streamed == [("items", "k1", b'"v1"'), ("items", "k2", b'"v2"')]


def test_errors_through_the_sidecar_keep_their_status_and_code(optimus):
    api, stub = optimus
    dataset = api.create_dataset()
    served(stub, dataset, "k1", api.publish_new(dataset, "items", {"k1": "v1"}))
    error = failure(
        lambda r: stub.Get(r, metadata=TO_READS),
        pb.GetRequest(dataset=dataset, table="items", key="missing"),
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert metadata(error.trailing_metadata())["optimus-error-code"] == "key-not-found"


def test_a_watch_through_the_sidecar_sees_a_publish_made_on_another_app(optimus):
    api, stub = optimus
    dataset = api.create_dataset()
    first = api.publish_new(dataset, "items", {"k": 1})
    served(stub, dataset, "k", first)
    watch = Watch(stub, dataset, TO_READS)
    try:
        assert watch.next().current.active_version_id == first
        second = api.publish_new(dataset, "items", {"k": 2})
        published = watch.until("published", second)
    finally:
        watch.call.cancel()
    assert published.previous_active_version_id == first
