"""Get and GetMany: REST's semantics, errors and version headers, as gRPC statuses and metadata."""

from __future__ import annotations

import grpc
import pytest

from optimus.v1 import optimus_pb2 as pb
from tests.grpc.conftest import Optimus


def metadata(pairs) -> dict[str, str]:
    return {item.key: item.value for item in pairs or ()}


def failure(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request)
    return caught.value


@pytest.fixture
def published(optimus: Optimus) -> tuple[str, str, str]:
    """A dataset whose active version holds k1, k2 and a value that isn't JSON-canonical."""
    dataset = optimus.api.create_dataset(tables=("items", "other"))
    first = optimus.api.publish_new(dataset, "items", {"k1": "old"})
    second = optimus.api.publish_new(dataset, "items", {"k1": {"a": 1}, "k2": [1, 2]})
    return dataset, first, second


def test_get_answers_the_value_as_stored_and_names_the_versions(optimus, published):
    dataset, _, active = published
    response, call = optimus.stub.Get.with_call(
        pb.GetRequest(dataset=dataset, table="items", key="k1")
    )
    rest = optimus.api.get(dataset, "items", "k1")
    assert response.value == rest.content == b'{"a":1}'
    assert response.content_type == "application/json"
    assert metadata(call.trailing_metadata()) == {
        "x-version-id": active,
        "x-active-version-id": active,
    }


def test_get_pinned_to_an_older_version_reads_it(optimus, published):
    dataset, first, active = published
    request = pb.GetRequest(dataset=dataset, table="items", key="k1", version_id=first)
    response, call = optimus.stub.Get.with_call(request)
    assert response.value == b'"old"'
    assert metadata(call.trailing_metadata()) == {
        "x-version-id": first,
        "x-active-version-id": active,
    }


def test_a_missing_key_is_not_found_with_the_version_that_answered(optimus, published):
    dataset, _, active = published
    error = failure(optimus.stub.Get, pb.GetRequest(dataset=dataset, table="items", key="nope"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert metadata(error.trailing_metadata()) == {
        "optimus-error-code": "key-not-found",
        "x-version-id": active,
        "x-active-version-id": active,
    }


def test_an_excised_key_is_not_found_with_code_excised(optimus, published):
    dataset, first, active = published
    done = optimus.api.client.post(
        f"/datasets/{dataset}/excise", json={"table": "items", "keys": ["k1"], "reason": "gdpr"}
    )
    assert done.status_code == 200, done.text
    for version_id in (first, active):
        request = pb.GetRequest(dataset=dataset, table="items", key="k1", version_id=version_id)
        error = failure(optimus.stub.Get, request)
        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert metadata(error.trailing_metadata())["optimus-error-code"] == "excised"
    many = optimus.stub.GetMany(pb.GetManyRequest(dataset=dataset, table="items", keys=["k1"]))
    assert list(many.missing_keys) == ["k1"]
    chunks = optimus.stub.StreamVersion(pb.StreamVersionRequest(dataset=dataset, table="items"))
    assert [key for chunk in chunks for key in chunk.keys] == ["k2"]


BAD_GETS = {
    "unknown dataset": ({"dataset": "no-such-dataset"}, "NOT_FOUND", "not-found"),
    "no dataset": ({"dataset": ""}, "INVALID_ARGUMENT", "invalid-input"),
    "unknown table": ({"table": "nope"}, "NOT_FOUND", "not-found"),
    "bad key": ({"key": "bad key"}, "INVALID_ARGUMENT", "invalid-key"),
    "no key": ({"key": ""}, "INVALID_ARGUMENT", "invalid-key"),
    "unknown version": ({"version_id": "nope"}, "NOT_FOUND", "not-found"),
}


@pytest.mark.parametrize(("changes", "status", "code"), BAD_GETS.values(), ids=BAD_GETS.keys())
def test_bad_gets_get_a_status_and_the_rest_error_code(optimus, published, changes, status, code):
    fields = {"dataset": published[0], "table": "items", "key": "k1"} | changes
    error = failure(optimus.stub.Get, pb.GetRequest(**fields))
    assert error.code() == getattr(grpc.StatusCode, status)
    assert metadata(error.trailing_metadata())["optimus-error-code"] == code
    assert error.details()


def test_versions_not_readable_are_refused_as_rest_refuses_them(optimus):
    dataset = optimus.api.create_dataset()
    nothing_published = failure(
        optimus.stub.Get, pb.GetRequest(dataset=dataset, table="items", key="k")
    )
    loading = optimus.api.create_version(dataset)
    being_loaded = failure(
        optimus.stub.Get, pb.GetRequest(dataset=dataset, table="items", key="k", version_id=loading)
    )
    assert optimus.api.client.post(f"/versions/{loading}/discard").status_code == 200
    discarded = failure(
        optimus.stub.Get, pb.GetRequest(dataset=dataset, table="items", key="k", version_id=loading)
    )
    found = [
        (e.code(), metadata(e.trailing_metadata())["optimus-error-code"])
        for e in (nothing_published, being_loaded, discarded)
    ]
    assert found == [
        (grpc.StatusCode.NOT_FOUND, "no-active-version"),
        (grpc.StatusCode.FAILED_PRECONDITION, "version-not-readable"),
        (grpc.StatusCode.NOT_FOUND, "gone"),
    ]


def test_get_many_reads_one_version_and_lists_the_missing_keys(optimus, published):
    dataset, _, active = published
    request = pb.GetManyRequest(dataset=dataset, table="items", keys=["k1", "k2", "zz", "zz"])
    response, call = optimus.stub.GetMany.with_call(request)
    assert dict(response.values) == {"k1": b'{"a":1}', "k2": b"[1,2]"}
    assert list(response.missing_keys) == ["zz"]
    assert response.content_type == "application/json"
    assert metadata(call.trailing_metadata()) == {
        "x-version-id": active,
        "x-active-version-id": active,
    }


BAD_GET_MANYS = {
    "no keys": ({"keys": []}, "INVALID_ARGUMENT", "no-keys"),
    "too many keys": ({"keys": ["k"] * 10_001}, "INVALID_ARGUMENT", "too-many-keys"),
    "a bad key": ({"keys": ["k1", "bad/key"]}, "INVALID_ARGUMENT", "invalid-key"),
    "unknown table": ({"table": "nope"}, "NOT_FOUND", "not-found"),
    "unknown dataset": ({"dataset": "no-such-dataset"}, "NOT_FOUND", "not-found"),
}


@pytest.mark.parametrize(
    ("changes", "status", "code"), BAD_GET_MANYS.values(), ids=BAD_GET_MANYS.keys()
)
def test_bad_get_manys_get_a_status_and_the_rest_error_code(
    optimus, published, changes, status, code
):
    fields = {"dataset": published[0], "table": "items", "keys": ["k1"]} | changes
    error = failure(optimus.stub.GetMany, pb.GetManyRequest(**fields))
    assert error.code() == getattr(grpc.StatusCode, status)
    assert metadata(error.trailing_metadata())["optimus-error-code"] == code
