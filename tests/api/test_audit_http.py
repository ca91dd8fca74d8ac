"""The audit log on every host: changes and refusals are recorded before the answer, chained."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx

from tests.support.api import Api, unique
from tests.support.auth import Secured


def _records(secured: Secured, dataset: str) -> list[dict[str, Any]]:
    with secured.client("admin") as admin:
        reply = admin.get("/audit", params={"dataset": dataset, "limit": 1000})
    assert reply.status_code == 200, reply.text
    return reply.json()["records"]


def test_changes_and_refusals_are_recorded_with_their_principal(secured: Secured) -> None:
    with secured.client("admin") as admin:
        dataset = Api(admin).create_dataset(unique("audited"))
        version_id = Api(admin).create_version(dataset)
    with secured.client("loader") as loader:
        assert loader.post(f"/versions/{version_id}/publish").status_code == 403
    with secured.client("publisher") as publisher:
        assert publisher.post(f"/versions/{version_id}/publish").status_code == 409  # not saved
    with httpx.Client(base_url=secured.base_url, timeout=30) as anyone:
        assert anyone.get(f"/datasets/{dataset}/tables/items/entries/k").status_code == 401
    seen = [
        (r["principal"], r["action"].split(" ")[0], r["outcome"], r["status"])
        for r in _records(secured, dataset)
    ]
    assert seen == [
        ("admin", "POST", "done", 201),
        ("admin", "POST", "done", 202),
        ("loader", "POST", "refused", 403),
        ("publisher", "POST", "conflict", 409),
        ("anonymous", "GET", "refused", 401),
    ], seen


def test_each_refusal_is_recorded_once_under_its_request_id(secured: Secured) -> None:
    paths = {unique("req"): "/versions", unique("req"): "/datasets/x/tables/t/entries/k"}
    with httpx.Client(base_url=secured.base_url, timeout=30) as anyone:
        for request_id, path in paths.items():
            assert anyone.get(path, headers={"x-request-id": request_id}).status_code == 401
    records: list[dict[str, Any]] = []
    with secured.client("admin") as admin:
        cursor = 0
        while page := admin.get("/audit", params={"cursor": cursor, "limit": 1000}).json()[
            "records"
        ]:
            records += page
            cursor = page[-1]["sequence"]
    for request_id in paths:
        assert [r["outcome"] for r in records if r["request_id"] == request_id] == ["refused"]


def test_records_page_by_cursor_and_chain(secured: Secured) -> None:
    with secured.client("admin") as admin:
        dataset = Api(admin).create_dataset(unique("paged"))
        for _ in range(3):
            Api(admin).create_version(dataset)
        first = admin.get("/audit", params={"dataset": dataset, "limit": 2}).json()
        second = admin.get(
            "/audit", params={"dataset": dataset, "limit": 2, "cursor": first["next-cursor"]}
        ).json()
    records = first["records"] + second["records"]
    assert len(first["records"]) == 2 and len(records) == 4
    sequences = [r["sequence"] for r in records]
    assert sequences == sorted(sequences)
    assert all(r["version"] is None or r["version"] for r in records)


def test_the_server_checks_its_own_chain(secured: Secured) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "optimus", "audit", "verify", "--url", secured.base_url,
         "--token", secured.tokens["admin"]],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "audit chain intact" in done.stdout
