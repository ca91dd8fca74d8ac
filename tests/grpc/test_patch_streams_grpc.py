"""StreamVersion of a patch version streams its effective entries: base + writes - retractions."""

from __future__ import annotations

from optimus.v1 import optimus_pb2 as pb
from tests.grpc.conftest import Optimus
from tests.grpc.test_streams_grpc import entries


def test_a_patch_of_a_patch_streams_its_effective_entries_in_order(optimus: Optimus) -> None:
    api, client = optimus.api, optimus.api.client
    dataset = api.create_dataset(tables=("a", "b"))
    full = api.create_version(dataset)
    api.load(dataset, full, "a", {f"k{i:02}": i for i in range(30)})
    api.load(dataset, full, "b", {"x": "bx"})
    assert api.save(full)["status"] == "SAVED"
    p1 = client.post("/versions", json={"dataset": dataset, "base": full}).json()["id"]
    api.load(dataset, p1, "a", {"k05": 500, "k055": 55, "zz": 0})
    retract = {"params": {"version-id": p1}, "json": [{"key": "k00"}, {"key": "k29"}]}
    assert client.post(f"/datasets/{dataset}/tables/a/retract", **retract).status_code == 201
    assert api.save(p1)["status"] == "SAVED"
    p2 = client.post("/versions", json={"dataset": dataset, "base": p1}).json()["id"]
    api.load(dataset, p2, "b", {"a0": "first"})
    retract = {"params": {"version-id": p2}, "json": [{"key": "zz"}, {"key": "k10"}]}
    assert client.post(f"/datasets/{dataset}/tables/a/retract", **retract).status_code == 201
    assert api.save(p2)["status"] == "SAVED"

    expected_a = {f"k{i:02}": i for i in range(1, 29) if i != 10} | {"k05": 500, "k055": 55}
    expected = sorted(
        [("a", k, str(v).encode()) for k, v in expected_a.items()]
        + [("b", "a0", b'"first"'), ("b", "x", b'"bx"')]
    )
    request = pb.StreamVersionRequest(dataset=dataset, version_id=p2, chunk_size=4)
    got = entries(optimus.stub.StreamVersion(request))
    assert got == expected
    for cut in (0, 5, len(got) - 2):
        table, key, _ = got[cut]
        resumed = pb.StreamVersionRequest(
            dataset=dataset, version_id=p2, after_table=table, after_key=key, chunk_size=3
        )
        assert got[: cut + 1] + entries(optimus.stub.StreamVersion(resumed)) == got
