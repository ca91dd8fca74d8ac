"""Authentication on a server with --auth-file, on every host: who gets in, and who is recorded."""

from __future__ import annotations

import httpx
import pytest

from optimus.client import Forbidden, OptimusClient
from tests.support.api import Api, unique
from tests.support.auth import Secured, create_token, token_command
from tests.support.waiting import eventually


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error" and body["code"] == code, body


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer optimus_not-a-token-this-server-made",
        "Bearer not.a.jwt",
    ],
)
def test_a_call_without_a_valid_token_answers_401_and_changes_nothing(
    secured: Secured, authorization: str | None
) -> None:
    name = unique("ds")
    headers = {"authorization": authorization} if authorization else {}
    with httpx.Client(base_url=secured.base_url, timeout=30, headers=headers) as anyone:
        response = anyone.post("/datasets", json={"name": name, "tables": ["t"]})
        _refused(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")
        _refused(anyone.get(f"/datasets/{name}/tables/t/entries/k"), 401, "unauthenticated")
    with secured.client("admin") as admin:
        assert admin.get(f"/datasets/{name}").status_code == 404


def test_probes_answer_without_a_token(secured: Secured) -> None:
    root = secured.base_url.removesuffix("/v1")
    assert httpx.get(f"{root}/healthcheck", timeout=30).status_code == 200


def test_the_operation_log_names_the_principal_not_the_claimed_user(secured: Secured) -> None:
    with secured.client("admin") as admin:
        dataset = Api(admin).create_dataset()
    with secured.client("loader", **{"x-optimus-user": "mallory"}) as loader:
        version_id = Api(loader).create_version(dataset)
        log = Api(loader).version(version_id)["operation-log"]
    assert {line["by"] for line in log} == {"loader"}, log


def test_a_role_on_a_glob_reaches_only_the_datasets_it_matches(secured: Secured) -> None:
    with secured.client("admin") as admin:
        mine = Api(admin).create_dataset(unique("ml-scores"))
        other = Api(admin).create_dataset(unique("fraud"))
    with secured.client("ml-publisher") as publisher:
        assert publisher.post("/versions", json={"dataset": mine}).status_code == 202
        refused = publisher.post("/versions", json={"dataset": other})
        _refused(refused, 403, "forbidden")
        assert refused.json()["role"] == "loader" and refused.json()["dataset"] == other
        _refused(publisher.get(f"/datasets/{other}/tables/items/entries/k"), 403, "forbidden")
        listed = {d["name"] for d in publisher.get("/datasets").json()}
    assert mine in listed and other not in listed
    with secured.client("admin") as admin:
        assert Api(admin).dataset(other)["available-versions"] == []


def test_tokens_created_and_revoked_while_the_server_runs(secured: Secured) -> None:
    name = unique("late")
    token = create_token(secured.auth_file, name, ["reader"], ["*"])
    with httpx.Client(
        base_url=secured.base_url, timeout=30, headers={"authorization": f"Bearer {token}"}
    ) as late:
        eventually(lambda: late.get("/datasets").status_code == 200, what="new token accepted")
        done = token_command("revoke", "--file", str(secured.auth_file), "--name", name)
        assert done.returncode == 0, done.stderr
        eventually(lambda: late.get("/datasets").status_code == 401, what="revoked token refused")


def test_an_expired_token_is_refused(secured: Secured) -> None:
    token = create_token(secured.auth_file, unique("brief"), ["reader"], ["*"], "--expires", "5s")
    with httpx.Client(
        base_url=secured.base_url, timeout=30, headers={"authorization": f"Bearer {token}"}
    ) as brief:
        eventually(lambda: brief.get("/datasets").status_code == 200, what="token accepted")
        eventually(lambda: brief.get("/datasets").status_code == 401, what="expired token refused")


def test_the_sdk_calls_with_its_token(secured: Secured) -> None:
    with secured.client("admin") as admin:
        dataset = Api(admin).create_dataset()
    with OptimusClient(secured.base_url, token=secured.tokens["reader"]) as reader:
        assert reader.dataset(dataset).name == dataset
        with pytest.raises(Forbidden):
            reader.create_version(dataset)
