"""Masked fields, on every host: absent from every read path for a reader, present with unmask."""

from __future__ import annotations

import httpx
import pytest

from optimus.client import OptimusClient
from tests.support.api import Api, unique
from tests.support.auth import Secured

MASKING = {"users": ["email", "address.street"]}
ALICE = {"name": "alice", "email": "alice@example.com",
         "address": {"street": "1 Secret Lane", "city": "Paris"}}  # fmt: skip
MASKED_ALICE = {"name": "alice", "address": {"city": "Paris"}}
SECRETS = ("alice@example.com", "Secret Lane")


@pytest.fixture(scope="module")
def masked_dataset(secured: Secured) -> str:
    with secured.client("admin") as admin:
        api = Api(admin)
        dataset = api.create_dataset(unique("people"), tables=("users", "plain"), masking=MASKING)
        assert api.dataset(dataset)["masking"] == MASKING
        version_id = api.create_version(dataset)
        api.load(dataset, version_id, "users", {"alice": ALICE, "bob": {"name": "bob"}})
        api.load(dataset, version_id, "plain", {"alice": ALICE})
        assert api.save(version_id)["status"] == "SAVED"
        api.publish(version_id)
    return dataset


def _reads(client: httpx.Client, dataset: str) -> list[httpx.Response]:
    """Every read path that returns values: a single key, and get-many by body and by query."""
    entries = f"/datasets/{dataset}/tables/users/entries"
    return [
        client.get(f"{entries}/alice"),
        client.request("GET", entries, json=[{"key": "alice"}, {"key": "bob"}]),
        client.get(entries, params={"key": ["alice", "bob"]}),
    ]


def _value(response: httpx.Response) -> object:
    body = response.json()
    return body["data"]["alice"] if "data" in body else body


def test_a_reader_never_sees_masked_fields(secured: Secured, masked_dataset: str) -> None:
    with secured.client("reader") as reader:
        for response in _reads(reader, masked_dataset):
            assert response.status_code == 200, response.text
            assert _value(response) == MASKED_ALICE
            raw = response.text + str(response.headers)
            assert not any(secret in raw for secret in SECRETS), raw
        plain = reader.get(f"/datasets/{masked_dataset}/tables/plain/entries/alice")
        assert plain.json() == ALICE  # a table that declares no masking


@pytest.mark.parametrize("who", ["unmasker", "admin"])
def test_unmask_sees_the_whole_value(secured: Secured, masked_dataset: str, who: str) -> None:
    with secured.client(who) as caller:
        for response in _reads(caller, masked_dataset):
            assert response.status_code == 200, response.text
            assert _value(response) == ALICE


def test_the_client_sdk_gets_masked_values(secured: Secured, masked_dataset: str) -> None:
    token = secured.tokens["reader"]
    with OptimusClient(secured.base_url, headers={"authorization": f"Bearer {token}"}) as sdk:
        assert sdk.get(masked_dataset, "users", "alice") == MASKED_ALICE
        assert sdk.get_many(masked_dataset, "users", ["alice"])["alice"] == MASKED_ALICE


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"masking": {"nope": ["email"]}}, "not one of its"),
        ({"masking": {"users": ["email", "a..b"]}}, "list of field paths"),
        ({"masking": {"users": "email"}}, "valid list"),
        ({"masking": {"users": ["email"]}, "content-type": "text/plain"}, "JSON content type"),
    ],
)
def test_a_bad_masking_is_refused(secured: Secured, extra: dict, why: str) -> None:
    name = unique("people")
    with secured.client("admin") as admin:
        response = admin.post("/datasets", json={"name": name, "tables": ["users"], **extra})
        assert response.status_code == 400 and why in response.json()["message"], response.text
        assert admin.get(f"/datasets/{name}").status_code == 404
