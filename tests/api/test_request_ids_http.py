"""Every response names its request in x-request-id: the caller's own id, or a new one."""

from __future__ import annotations

import httpx

from tests.support.api import Api


def test_a_response_carries_the_callers_request_id(api: Api, client: httpx.Client) -> None:
    name = api.create_dataset()
    for path in (f"/datasets/{name}", f"/datasets/{name}/tables/items/entries/absent"):
        response = client.get(path, headers={"x-request-id": "trace-42"})
        assert response.headers["x-request-id"] == "trace-42", path


def test_a_response_gets_a_new_request_id_when_the_caller_sends_none(
    api: Api, client: httpx.Client
) -> None:
    name = api.create_dataset()
    paths = [
        f"/datasets/{name}",
        f"/datasets/{name}/tables/items/entries/absent",  # the fast read path
        f"/datasets/{name}/tables/items/entries?key=a",
        "/no/such/route",
    ]
    ids = [client.get(path).headers.get("x-request-id") for path in paths * 2]
    assert all(ids) and len(set(ids)) == len(ids)


def test_an_unusable_request_id_is_replaced(api: Api, client: httpx.Client) -> None:
    response = client.get("/datasets", headers={"x-request-id": "x" * 500})
    assert response.status_code == 200
    assert response.headers["x-request-id"] != "x" * 500
