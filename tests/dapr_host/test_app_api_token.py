"""With APP_API_TOKEN and DAPR_API_TOKEN: the app answers only its sidecar, the sidecar only it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest

from optimus.dapr_runtime import AppReplica, DaprCluster
from tests.support.api import Api
from tests.support.dapr_optimus import invocation_url, optimus_api, wait_ready

APP_TOKEN = "app-token-for-tests"
DAPR_TOKEN = "dapr-token-for-tests"


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppReplica]:
    tokens = {"APP_API_TOKEN": APP_TOKEN, "DAPR_API_TOKEN": DAPR_TOKEN}
    spec = dataclasses.replace(optimus_api(), env=tokens, sidecar_env=tokens)
    with DaprCluster("local", tmp_path_factory.mktemp("app-token")) as cluster:
        yield wait_ready(cluster.add_app(spec))


def test_calls_through_the_sidecar_work_end_to_end(replica: AppReplica) -> None:
    headers = {"dapr-api-token": DAPR_TOKEN}  # what a consumer shows the sidecar
    with httpx.Client(base_url=invocation_url(replica), timeout=60, headers=headers) as client:
        api = Api(client)  # actor turns and state calls go through the sidecar with the token
        dataset = api.create_dataset()
        api.publish_new(dataset, "items", {"k": 1})
        assert api.get(dataset, "items", "k").json() == 1


def test_the_app_refuses_whoever_is_not_its_sidecar(replica: AppReplica) -> None:
    with httpx.Client(base_url=replica.app_url, timeout=30) as direct:
        refused = direct.get("/v1/datasets")
        assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
        wrong = direct.get("/v1/datasets", headers={"dapr-api-token": "guess"})
        assert wrong.status_code == 401
        assert direct.get("/healthcheck").status_code == 200  # the kubelet's probes


def test_the_sidecar_refuses_callers_without_its_token(replica: AppReplica) -> None:
    with httpx.Client(base_url=invocation_url(replica), timeout=30) as anyone:
        assert anyone.get("/datasets").status_code == 401
