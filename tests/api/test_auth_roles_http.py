"""The routes-and-roles table of docs/security.md, walked whole on every host."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Api, unique
from tests.support.auth import Secured

ROLES = ["reader", "loader", "publisher", "admin"]
SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _table() -> list[tuple[str, str, dict[str, str]]]:
    section = SECURITY_MD.read_text().split("## Routes and roles", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(ROLES) and cells[0] in {"GET", "POST"}:
            rows.append((cells[0], cells[1], dict(zip(ROLES, cells[2:], strict=True))))
    return rows


TABLE = _table()


@dataclass
class Scene:
    """A dataset with a SAVED version and an open one (created by the caller when it may)."""

    dataset: str
    saved: str
    open: str
    patch: str  # an open patch of `saved`


Call = tuple[str, str, dict[str, Any]]


def _call(method: str, route: str, s: Scene) -> Call:
    """How each route of the table is called, on a fresh scene."""
    entries = f"/datasets/{s.dataset}/tables/items/entries"
    load = {"params": {"version-id": s.open}}
    calls: dict[tuple[str, str], Call] = {
        ("GET", "/v1/datasets"): ("GET", "/datasets", {}),
        ("POST", "/v1/datasets"): (
            "POST", "/datasets", {"json": {"name": unique("walk"), "tables": ["items"]}}
        ),
        ("GET", "/v1/datasets/{dataset}"): ("GET", f"/datasets/{s.dataset}", {}),
        ("POST", "/v1/datasets/{dataset}"): (
            "POST", f"/datasets/{s.dataset}",
            {**load, "json": [{"table": "items", "key": "a", "value": 1}]},
        ),
        ("POST", "/v1/datasets/{dataset}/tables/{table}"): (
            "POST", f"/datasets/{s.dataset}/tables/items",
            {**load, "json": [{"key": "a", "value": 1}]},
        ),
        ("POST", "/v1/datasets/{dataset}/tables/{table}/entries"): (
            "POST", entries, {**load, "json": [{"key": "a", "value": 1}]}
        ),
        ("GET", "/v1/datasets/{dataset}/tables/{table}/entries"): (
            "GET", entries, {"params": {"key": "k", "version-id": s.saved}}
        ),
        ("POST", "/v1/datasets/{dataset}/tables/{table}/entries/{key}"): (
            "POST", f"{entries}/a", {**load, "json": {"value": 1}}
        ),
        ("GET", "/v1/datasets/{dataset}/tables/{table}/entries/{key}"): (
            "GET", f"{entries}/k", {"params": {"version-id": s.saved}}
        ),
        ("GET", "/v1/datasets/{dataset}/tables/{table}/entries/{key}/history"): (
            "GET", f"{entries}/k/history", {}
        ),
        ("POST", "/v1/datasets/{dataset}/tables/{table}/retract"): (
            "POST", f"/datasets/{s.dataset}/tables/items/retract",
            {"params": {"version-id": s.patch}, "json": [{"key": "k"}]},
        ),
        ("POST", "/v1/datasets/{dataset}/excise"): (
            "POST", f"/datasets/{s.dataset}/excise",
            {"json": {"table": "items", "keys": ["k"], "reason": "walk"}},
        ),
        ("GET", "/v1/datasets/{dataset}/pull"): (
            "GET", f"/datasets/{s.dataset}/pull",
            {"params": {"table": "items", "key": "k", "pattern": '["*"]', "version-id": s.saved}},
        ),
        ("POST", "/v1/datasets/{dataset}/pull"): (
            "POST", f"/datasets/{s.dataset}/pull",
            {"json": {"table": "items", "keys": ["k"], "pattern": ["*"], "version-id": s.saved}},
        ),
        ("GET", "/v1/datasets/{dataset}/publications"): (
            "GET", f"/datasets/{s.dataset}/publications", {}
        ),
        ("GET", "/v1/datasets/{dataset}/replicas"): ("GET", f"/datasets/{s.dataset}/replicas", {}),
        ("GET", "/v1/versions/{version_id}/export"): ("GET", f"/versions/{s.saved}/export", {}),
        ("GET", "/v1/versions"): ("GET", "/versions", {"params": {"dataset": s.dataset}}),
        ("POST", "/v1/versions"): ("POST", "/versions", {"json": {"dataset": s.dataset}}),
        ("GET", "/v1/versions/{version_id}"): ("GET", f"/versions/{s.saved}", {}),
        ("POST", "/v1/versions/{version_id}/save"): ("POST", f"/versions/{s.open}/save", {}),
        ("POST", "/v1/versions/{version_id}/publish"): ("POST", f"/versions/{s.saved}/publish", {}),
        ("POST", "/v1/versions/{version_id}/discard"): ("POST", f"/versions/{s.open}/discard", {}),
        ("POST", "/v1/versions/{version_id}/stage"): ("POST", f"/versions/{s.saved}/stage", {}),
        ("POST", "/v1/versions/{version_id}/unstage"): ("POST", f"/versions/{s.saved}/unstage", {}),
        # Against itself: the scene's dataset has no published version to default to.
        ("GET", "/v1/versions/{version_id}/diff"): (
            "GET", f"/versions/{s.saved}/diff", {"params": {"against": s.saved}}
        ),
        ("GET", "/v1/versions/{version_id}/diff/entries"): (
            "GET", f"/versions/{s.saved}/diff/entries", {"params": {"against": s.saved}}
        ),
        ("GET", "/v1/audit"): ("GET", "/audit", {"params": {"dataset": s.dataset}}),
        ("GET", "/v1/audit/verify"): ("GET", "/audit/verify", {}),
    }  # fmt: skip
    return calls[(method, route)]


def _scene(secured: Secured, creator: str) -> Scene:
    with secured.client("admin") as admin_client:
        admin = Api(admin_client)
        dataset = admin.create_dataset(unique("walk"))
        saved = admin.create_version(dataset)
        admin.load(dataset, saved, "items", {"k": 1})
        admin.save(saved)
        patch = admin.create_version(dataset, base=saved)
    with secured.client(creator) as creator_client:
        return Scene(dataset, saved, Api(creator_client).create_version(dataset), patch)


def test_the_table_names_every_route_of_the_api(secured: Secured) -> None:
    with secured.client() as anyone:
        spec = anyone.get(secured.base_url.removesuffix("/v1") + "/openapi.json").json()
    served = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith("/v1")
        for method in operations
    }
    assert served == {(method, route) for method, route, _ in TABLE}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "route", "allowed"), TABLE, ids=[f"{m} {r}" for m, r, _ in TABLE]
)
def test_route_by_role(
    secured: Secured, method: str, route: str, allowed: dict[str, str], role: str
) -> None:
    # The open version is the caller's own when it may create one ("own" rows).
    scene = _scene(secured, creator="admin" if role == "reader" else role)
    verb, path, options = _call(method, route, scene)
    with secured.client(role) as caller:
        response = caller.request(verb, path, **options)
    if allowed[role] in {"yes", "own"}:
        assert response.is_success, f"{role} {verb} {path}: {response.text}"
    else:
        assert response.status_code == 403, f"{role} {verb} {path}: {response.text}"
        assert response.json()["code"] == "forbidden"
    with secured.client("admin") as admin:
        after = Api(admin).version(scene.saved)["status"]
    if response.status_code == 403:  # a refusal changes nothing
        assert after == "SAVED"


def test_a_loader_may_not_discard_a_version_it_did_not_create(secured: Secured) -> None:
    scene = _scene(secured, creator="publisher")
    with secured.client("loader") as loader:
        refused = loader.post(f"/versions/{scene.open}/discard")
    assert refused.status_code == 403, refused.text
    with secured.client("admin") as admin:
        assert Api(admin).version(scene.open)["status"] != "DISCARDED"
