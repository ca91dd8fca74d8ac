"""OIDC / JWT bearer tokens, signed by the test's own issuer, on every host."""

from __future__ import annotations

import time

import pytest

from tests.support.api import Api, unique
from tests.support.auth import Secured, rsa_key


def test_a_jwt_grants_the_roles_of_its_claim_and_names_its_subject(secured: Secured) -> None:
    with secured.client("admin") as admin:
        dataset = Api(admin).create_dataset(unique("ml-jwt"))
    token = secured.issuer.token("alice", [f"loader:{dataset}"])
    with secured.bearer(token) as alice:
        version_id = Api(alice).create_version(dataset)
        assert {line["by"] for line in Api(alice).version(version_id)["operation-log"]} == {"alice"}
        refused = alice.post(f"/versions/{version_id}/publish")
        assert refused.status_code == 403 and refused.json()["role"] == "publisher"


def _bad_tokens(secured: Secured) -> dict[str, str]:
    issuer = secured.issuer
    now = int(time.time())
    return {
        "expired": issuer.token("eve", ["admin:*"], exp=now - 60),
        "not yet valid": issuer.token("eve", ["admin:*"], nbf=now + 600),
        "wrong audience": issuer.token("eve", ["admin:*"], aud="another-service"),
        "wrong issuer": issuer.token("eve", ["admin:*"], iss="https://elsewhere.test"),
        "wrongly signed": issuer.token("eve", ["admin:*"], key=rsa_key()),
        "malformed roles": issuer.token("eve", ["root"]),
        "truncated": issuer.token("eve", ["admin:*"])[:-10],
    }


@pytest.mark.parametrize(
    "kind",
    ["expired", "not yet valid", "wrong audience", "wrong issuer", "wrongly signed",
     "malformed roles", "truncated"],
)  # fmt: skip
def test_an_invalid_jwt_answers_401_and_changes_nothing(secured: Secured, kind: str) -> None:
    name = unique("ds")
    with secured.bearer(_bad_tokens(secured)[kind]) as eve:
        refused = eve.post("/datasets", json={"name": name, "tables": ["t"]})
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "unauthenticated"
    with secured.client("admin") as admin:
        assert admin.get(f"/datasets/{name}").status_code == 404
