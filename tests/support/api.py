"""A thin helper over raw HTTP calls to the REST API, for tests that follow documented flows."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from tests.support.waiting import eventually

FINAL_SAVE_STATES = {"SAVED", "FAILED", "DISCARDED"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Api:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def create_dataset(self, name: str | None = None, tables=("items",), **extra: Any) -> str:
        name = name or unique("ds")
        body = {"name": name, "tables": list(tables), **extra}
        response = self.client.post("/datasets", json=body)
        assert response.status_code == 201, response.text
        return name

    def create_version(self, dataset: str, **extra: Any) -> str:
        response = self.client.post("/versions", json={"dataset": dataset, **extra})
        assert response.status_code == 202, response.text
        return response.json()["id"]

    def load(self, dataset: str, version_id: str, table: str, entries: dict[str, Any]) -> None:
        body = [{"key": k, "value": v} for k, v in entries.items()]
        response = self.client.post(
            f"/datasets/{dataset}/tables/{table}/entries",
            params={"version-id": version_id},
            json=body,
        )
        assert response.status_code == 201, response.text

    def version(self, version_id: str) -> dict[str, Any]:
        response = self.client.get(f"/versions/{version_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def dataset(self, name: str) -> dict[str, Any]:
        response = self.client.get(f"/datasets/{name}")
        assert response.status_code == 200, response.text
        return response.json()

    def save(self, version_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """POST save, then follow the version until the save has ended (the documented flow)."""
        response = self.client.post(f"/versions/{version_id}/save")
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            version = self.version(version_id)
            if version["status"] in FINAL_SAVE_STATES:
                return version
            time.sleep(0.02)
        raise AssertionError(f"version {version_id} still {version['status']} after {timeout}s")

    def wait_purged(self, version_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """The version, once garbage collection has deleted its entries."""

        def purged() -> dict[str, Any] | None:
            version = self.version(version_id)
            actions = [op["action"] for op in version["operation-log"]]
            return version if "PURGED" in actions else None

        return eventually(purged, timeout=timeout, pause=0.1, what=f"purge of {version_id}")

    def publish(self, version_id: str) -> None:
        response = self.client.post(f"/versions/{version_id}/publish")
        assert response.status_code == 202, response.text

    def saved_version(self, dataset: str, entries: dict[str, dict[str, Any]], **extra: Any) -> str:
        """A new version loaded with `entries` (table -> key -> value) and saved."""
        version_id = self.create_version(dataset, **extra)
        for table, values in entries.items():
            self.load(dataset, version_id, table, values)
        assert self.save(version_id)["status"] == "SAVED"
        return version_id

    def publish_new(self, dataset: str, table: str, entries: dict[str, Any], **extra: Any) -> str:
        version_id = self.saved_version(dataset, {table: entries}, **extra)
        self.publish(version_id)
        return version_id

    def get(self, dataset: str, table: str, key: str, version_id: str | None = None):
        params = {"version-id": version_id} if version_id else None
        return self.client.get(f"/datasets/{dataset}/tables/{table}/entries/{key}", params=params)

    def get_many(self, dataset: str, table: str, keys: list[str], version_id: str | None = None):
        params = {"version-id": version_id} if version_id else None
        return self.client.request(
            "GET",
            f"/datasets/{dataset}/tables/{table}/entries",
            params=params,
            json=[{"key": k} for k in keys],
        )
