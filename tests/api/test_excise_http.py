"""Excision on every host: keys removed for good from every retained version, patch layers
included; reads, diffs, history and digests agree afterwards, and across a restart."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from optimus.dapr_runtime import DaprCluster
from tests.dapr_host.conftest import kill_and_restart
from tests.support.api import Api, unique
from tests.support.auth import Secured, auth_setup
from tests.support.dapr_optimus import invocation_url, start_api
from tests.support.server import OptimusServer


@dataclass
class Excising:
    """A server with auth on that a test may kill and start again; its data dir (embedded) or
    its sidecar (Dapr)."""

    secured: Secured
    restart: Callable[[], None]
    data_dir: Path | None  # embedded
    sidecar: str | None = None  # Dapr: the replica's sidecar, whose state API the test reads


@pytest.fixture(scope="module", params=["embedded", "dapr-local"])
def excising(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Excising]:
    host: str = request.param
    auth_file, tokens, issuer = auth_setup(tmp_path_factory.mktemp(f"excise-auth-{host}"))
    args = ("--gc-grace-seconds", "0", "--auth-file", str(auth_file))
    if host == "embedded":
        server = OptimusServer(tmp_path_factory.mktemp("excise") / "data", *args)
        server.start()

        def restart() -> None:
            server.kill()  # SIGKILL, as a crash
            server.start(same_port=True)

        try:
            yield Excising(
                Secured(server.base_url, auth_file, tokens, issuer), restart, server.data_dir
            )
        finally:
            server.stop()
        return
    with DaprCluster("local", tmp_path_factory.mktemp(f"excise-{host}")) as cluster:
        replica = start_api(cluster, *args)

        def restart_replica() -> None:
            kill_and_restart(replica, "app")  # SIGKILL: every cache of the replica is lost

        yield Excising(
            Secured(invocation_url(replica), auth_file, tokens, issuer),
            restart_replica,
            None,
            replica.http_endpoint,
        )


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _digest_of_fresh_load(api: Api, dataset: str, entries: dict[str, dict[str, Any]]) -> str:
    """The digest of a full load of exactly these entries into a new version."""
    return api.version(api.saved_version(dataset, entries))["digest"]


def _files_holding(directory: Path, secrets: list[bytes]) -> list[Path]:
    return [
        path
        for path in directory.rglob("*")
        if path.is_file() and any(secret in path.read_bytes() for secret in secrets)
    ]


def _stored(sidecar: str, keys: list[str]) -> dict[str, str]:
    """What the entries state store holds under `keys` (the absent ones left out)."""
    found = httpx.post(f"{sidecar}/v1.0/state/optimus-entries/bulk", json={"keys": keys})
    assert found.status_code == 200, found.text
    return {item["key"]: str(item["data"]) for item in found.json() if "data" in item}


def _manifests_naming(sidecar: str, versions: list[str], name: str) -> list[str]:
    """The batch manifests of these versions that list `name` ("<table>/<key>")."""
    manifests = [f"m/{v}/{n}" for v in versions for n in range(4)]
    return [key for key, data in _stored(sidecar, manifests).items() if name in data]


def _absent(api: Api, dataset: str, key: str, version_id: str | None) -> dict[str, Any]:
    response = api.get(dataset, "users", key, version_id)
    assert response.status_code == 404, response.text
    return response.json()


@dataclass
class Scene:
    dataset: str
    v1: str  # full
    v2: str  # a patch of v1 that rewrote alice
    v3: str  # full, published
    secrets: list[bytes]
    # What each version holds once alice is excised.
    remaining: dict[str, dict[str, dict[str, Any]]]


def _scene(api: Api) -> Scene:
    tag = uuid.uuid4().hex
    secrets = [f"SECRET-{n}-{tag}" for n in range(3)]
    dataset = api.create_dataset(unique("erase"), tables=["users", "items"])
    users1 = {"alice": {"email": secrets[0]}, "bob": {"email": "bob@x"}, "carol": {"n": 3}}
    items = {"i1": {"price": 1}}
    v1 = api.saved_version(dataset, {"users": users1, "items": items})
    v2 = api.create_version(dataset, base=v1)
    api.load(dataset, v2, "users", {"alice": {"email": secrets[1]}, "dave": {"n": 4}})
    assert api.save(v2)["status"] == "SAVED"
    users3 = {"alice": {"email": secrets[2]}, "bob": {"email": "bob@y"}, "erin": {"n": 5}}
    v3 = api.saved_version(dataset, {"users": users3, "items": items})
    api.publish(v3)
    without = {k: v for k, v in users1.items() if k != "alice"}
    remaining = {
        v1: {"users": without, "items": items},
        v2: {"users": {**without, "dave": {"n": 4}}, "items": items},
        v3: {"users": {k: v for k, v in users3.items() if k != "alice"}, "items": items},
    }
    return Scene(dataset, v1, v2, v3, [s.encode() for s in secrets], remaining)


def _check_excised(api: Api, scene: Scene, digests: dict[str, str]) -> None:
    """What every read path says of the excised key, and each version's counts and digest."""
    for version_id in (scene.v1, scene.v2, scene.v3, None):
        assert _absent(api, scene.dataset, "alice", version_id)["code"] == "excised"
        assert api.get(scene.dataset, "users", "bob", version_id).status_code == 200
    assert _absent(api, scene.dataset, "zoe", scene.v1)["code"] == "key-not-found"
    many = api.get_many(scene.dataset, "users", ["alice", "carol", "zoe"], scene.v2).json()
    assert many["data"] == {"carol": {"n": 3}}
    assert (many["keys-missing"], many["keys-excised"]) == (2, 1)
    for version_id in (scene.v1, scene.v2, scene.v3):
        version = api.version(version_id)
        users = scene.remaining[version_id]["users"]
        assert version["counts"] == {"users": len(users), "items": 1}
        assert version["digest"] == digests[version_id]
        [excision] = version["excisions"]
        assert excision["table"] == "users" and excision["keys"] == 2
        assert excision["by"] == "admin" and excision["reason"] == "erasure request 7"


def test_excision_reaches_every_retained_version_and_holds_across_a_restart(
    excising: Excising,
) -> None:
    secured = excising.secured
    with secured.client("admin") as admin_client:
        api = Api(admin_client)
        scene = _scene(api)
        assert api.get(scene.dataset, "users", "alice", scene.v2).json() == {
            "email": scene.secrets[1].decode()
        }
        versions = [scene.v1, scene.v2, scene.v3]
        if excising.data_dir is not None:
            assert _files_holding(excising.data_dir, scene.secrets)  # as the test expects
        if excising.sidecar is not None:
            assert len(_manifests_naming(excising.sidecar, versions, "users/alice")) == 3
        body = {"table": "users", "keys": ["alice", "nobody"], "reason": "erasure request 7"}
        done = admin_client.post(f"/datasets/{scene.dataset}/excise", json=body)
        assert done.status_code == 200, done.text
        assert done.json()["versions"] == [scene.v3, scene.v2, scene.v1]
        assert done.json()["key-hashes"] == [_hash("alice"), _hash("nobody")]
        if excising.data_dir is not None:  # the bytes are gone from every file of the store
            assert _files_holding(excising.data_dir, scene.secrets) == []
        if excising.sidecar is not None:  # the state keys, and the manifests' mentions
            assert _manifests_naming(excising.sidecar, versions, "users/alice") == []
            assert _manifests_naming(excising.sidecar, versions, "users/bob") != []
            entries = [f"e/{v}/users/alice" for v in versions]
            assert _stored(excising.sidecar, entries) == {}

        # Each digest is what a full load of the remaining entries gives.
        digests = {
            v: _digest_of_fresh_load(api, scene.dataset, entries)
            for v, entries in scene.remaining.items()
        }
        _check_excised(api, scene, digests)
        history = admin_client.get(
            f"/datasets/{scene.dataset}/tables/users/entries/alice/history"
        ).json()
        excised = {item["version"]: item for item in history["versions"]}
        for version_id in (scene.v1, scene.v2, scene.v3):
            assert excised[version_id]["present"] is False
            assert excised[version_id]["excised"] is True
        pulled = admin_client.post(
            f"/datasets/{scene.dataset}/pull",
            json={"table": "users", "keys": ["alice", "zoe"], "pattern": ["*"]},
        )
        assert pulled.status_code == 200, pulled.text
        results = pulled.json()["results"]
        assert results[0] == {**results[1], "key": "alice"}  # as a key that never was
        # The diff finds alice on neither side: v1 -> v3 changes only bob, adds erin.
        diff = admin_client.get(f"/versions/{scene.v3}/diff", params={"against": scene.v1})
        users_diff = diff.json()["tables"]["users"]
        assert (users_diff["added"], users_diff["removed"], users_diff["changed"]) == (1, 1, 1)
        listed = admin_client.get(
            f"/versions/{scene.v2}/diff/entries", params={"against": scene.v3}
        ).json()["entries"]
        assert "alice" not in {entry["key"] for entry in listed}
        exported = admin_client.get(f"/versions/{scene.v2}/export")
        assert exported.status_code == 200 and b"SECRET" not in exported.content
        # A committed version takes no entries: no load can bring the key back into it.
        reloaded = admin_client.post(
            f"/datasets/{scene.dataset}/tables/users/entries",
            params={"version-id": scene.v1},
            json=[{"key": "alice", "value": {"email": "back"}}],
        )
        assert reloaded.status_code == 409, reloaded.text

    excising.restart()
    with secured.client("admin") as admin_client:
        api = Api(admin_client)
        _check_excised(api, scene, digests)
        # Run again (as after a crash between the record and the deletion): the versions it
        # reached are not recounted (only the digest checks' versions, saved since, are new).
        again = admin_client.post(f"/datasets/{scene.dataset}/excise", json=body)
        assert again.status_code == 200 and not set(again.json()["versions"]) & set(versions)
        _check_excised(api, scene, digests)
        # The marker is per version: a new version may hold the key again.
        reloaded = api.saved_version(scene.dataset, {"users": {"alice": {"email": "new"}}})
        assert api.get(scene.dataset, "users", "alice", reloaded).json() == {"email": "new"}
        assert "excisions" not in api.version(reloaded)

        records = admin_client.get("/audit", params={"dataset": scene.dataset, "limit": 1000})
        record, rerun = [r for r in records.json()["records"] if r["action"].endswith("/excise")]
        assert record["details"]["versions"] == [scene.v3, scene.v2, scene.v1]
        assert rerun["details"]["versions"] == again.json()["versions"]
        assert record["principal"] == "admin" and record["status"] == 200
        assert record["details"]["key-hashes"] == [_hash("alice"), _hash("nobody")]
        assert record["details"]["table"] == "users"
        assert record["details"]["reason"] == "erasure request 7"
        assert "alice" not in str(record) and "SECRET" not in str(record)
        log = api.dataset(scene.dataset)["operation-log"]
        assert next(op for op in log if op["action"] == "EXCISED")["by"] == "admin"
    verified = subprocess.run(
        [sys.executable, "-m", "optimus", "audit", "verify", "--url", secured.base_url,
         "--token", secured.tokens["admin"]],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit chain intact" in verified.stdout


def _refused(client: httpx.Client, dataset: str, body: Any) -> httpx.Response:
    response = client.post(f"/datasets/{dataset}/excise", json=body)
    assert response.headers["content-type"].startswith("application/json")
    return response


def test_refusals_change_nothing(excising: Excising) -> None:
    secured = excising.secured
    with secured.client("admin") as admin_client:
        api = Api(admin_client)
        dataset = api.create_dataset(unique("keep"), tables=["users"])
        version_id = api.saved_version(dataset, {"users": {"alice": {"n": 1}}})
        before = api.version(version_id)
        good = {"table": "users", "keys": ["alice"], "reason": "why"}
        bad = [
            ({**good, "table": "nope"}, 404, "not-found"),
            ({**good, "table": None}, 400, "invalid-input"),
            ({**good, "keys": []}, 400, "no-keys"),
            ({**good, "keys": "alice"}, 400, "no-keys"),
            ({**good, "keys": [f"k{n}" for n in range(1001)]}, 400, "too-many-keys"),
            ({**good, "keys": ["a/b"]}, 400, "invalid-key"),
            ({"table": "users", "keys": ["alice"]}, 400, "reason-required"),
            ({**good, "reason": " "}, 400, "reason-required"),
            ({**good, "reason": "x" * 600}, 400, "too-long"),
        ]
        for body, status, code in bad:
            response = _refused(admin_client, dataset, body)
            assert (response.status_code, response.json()["code"]) == (status, code), body
        missing = _refused(admin_client, unique("no-such"), good)
        assert missing.status_code == 404, missing.text
    for role in ("reader", "loader", "publisher"):
        with secured.client(role) as caller:
            response = _refused(caller, dataset, good)
            assert response.status_code == 403 and response.json()["code"] == "forbidden"
    with secured.client("admin") as admin_client:
        api = Api(admin_client)
        assert api.version(version_id) == before
        assert api.get(dataset, "users", "alice", version_id).status_code == 200
        records = admin_client.get("/audit", params={"dataset": dataset, "limit": 1000}).json()
        refusals = [r for r in records["records"] if r["status"] == 403]
        assert {r["principal"] for r in refusals} == {"reader", "loader", "publisher"}
