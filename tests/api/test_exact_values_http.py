"""A JSON value is stored and served byte for byte as it was sent, on every path."""

from __future__ import annotations

import httpx
import pytest

from optimus.domain.digest import stats_of
from tests.support.api import Api

# Each one changes if parsed and encoded again (orjson turns the big integer into a float).
VALUES = {
    "big": "123456789012345678901234567890",
    "negative-big": "-98765432109876543210987654321098765432",
    "float17": "0.30000000000000004",
    "digits17": "1.2345678901234567",
    "negative-zero": "-0.0",
    "exponent": "6.02214076E+23",
    "tiny": "1e-400",
    "huge": "1e400",  # beyond a double: still JSON
    "trailing-zeros": "1.50",
    "escaped": '"caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ \\/"',
    "non-bmp": '"😀 𝄞 漢字"',
    "spaced": '{ "a" : [ 1 , 2.0 ] ,\n "b" : {"c": null} }',
    "deep": "[" * 200 + "1" + "]" * 200,
    "deep-objects": '{"a":' * 150 + "true" + "}" * 150,
}


def body(*items: str) -> bytes:
    return ("[" + ",".join(items) + "]").encode()


@pytest.fixture
def dataset(api: Api) -> str:
    return api.create_dataset(tables=["items", "users"])


def test_values_are_kept_exactly_on_every_write_and_read_path(
    api: Api, client: httpx.Client, dataset: str
) -> None:
    version = api.create_version(dataset)
    params = {"version-id": version}
    keys = list(VALUES)
    # One table's batch, the dataset-level batch, and single entries; spaced and compact
    # bodies (the server reads compact ones, as the loader sends them, a faster way).
    table_batch = body(*(f'{{"key": "{k}", "value": {VALUES[k]}}}' for k in keys))
    response = client.post(f"/datasets/{dataset}/tables/items/entries", params=params,
                           content=table_batch)  # fmt: skip
    assert response.status_code == 201, response.text
    dataset_batch = body(
        *(f'{{"table":"users","key":"{k}","value":{VALUES[k]}}}' for k in keys[::2])
    )
    response = client.post(f"/datasets/{dataset}", params=params, content=dataset_batch)
    assert response.status_code == 201, response.text
    for key in keys[1::2]:
        response = client.post(
            f"/datasets/{dataset}/tables/users/entries/{key}",
            params=params,
            content=f'{{"value":{VALUES[key]}}}'.encode(),
        )
        assert response.status_code == 201, response.text

    saved = api.save(version)
    assert saved["status"] == "SAVED"
    stored = [(table, k, VALUES[k].encode()) for table in ("items", "users") for k in keys]
    assert saved["digest"] == stats_of(stored).digest

    for table in ("items", "users"):
        for key, text in VALUES.items():
            single = api.get(dataset, table, key, version)
            assert single.status_code == 200, single.text
            assert single.content == text.encode()
        many = api.get_many(dataset, table, keys, version)
        assert many.status_code == 200, many.text
        for key, text in VALUES.items():
            assert f'"{key}":{text}'.encode() in many.content


@pytest.mark.parametrize(
    "value",
    ["NaN", "Infinity", "-Infinity", "01", "1.", "'single'", '"unterminated', "[1,]", "{}x"],
)
def test_what_is_not_json_is_refused(api: Api, client: httpx.Client, dataset: str, value) -> None:
    version = api.create_version(dataset)
    response = client.post(
        f"/datasets/{dataset}/tables/items/entries",
        params={"version-id": version},
        content=body(f'{{"key": "k", "value": {value}}}'),
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "malformed-json"
    assert api.save(version)["counts"] == {"items": 0, "users": 0}
