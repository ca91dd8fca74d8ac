"""A wrong manifest fails validation: fixtures/broken is the dev overlay with one mistake
of each kind, and every mistake is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.kustomize import render
from tests.deploy.validate import app_overlay_problems

BROKEN = Path(__file__).parent / "fixtures" / "broken"

# mistake -> the problem that reports it
EXPECTED = {
    "misspelt container field": "Deployment/optimus-api: spec.template.spec.containers.0: "
    "Additional properties are not allowed ('livenessProbes' was unexpected)",
    "misspelt Component field": "Component/optimus-entries: spec: Additional properties are "
    "not allowed ('initTimout' was unexpected)",
    "misspelt Dapr annotation": "Deployment/optimus-api: dapr.io/app-prot is not a Dapr",
    "wrong app port": "Deployment/optimus-api: dapr.io/app-port is 8080, the app listens on 8888",
    "readiness on the liveness endpoint": "Deployment/optimus-api: readinessProbe /healthcheck "
    "answers 200",
    "missing pub/sub component": "Deployment/optimus-api uses component optimus-pubsub, "
    "which does not exist",
    "actor state store opened to another app": "Component/optimus-actorstate: the actor state "
    "store is for optimus-api alone",
    "consumer on the wrong topic": "Subscription/optimus-consumer-example-versions: "
    "optimus-pubsub/optimus-version, but events are published to optimus-pubsub/optimus-versions",
    "plaintext password": "Component/optimus-actorstate: redisPassword in plaintext",
    "drift from components/redis": "Component/optimus-entries: metadata keyPrefix is 'appid', "
    "components/redis has 'name'",
}


@pytest.fixture(scope="module")
def problems() -> list[str]:
    return app_overlay_problems(render(BROKEN))


@pytest.mark.parametrize("mistake", EXPECTED)
def test_the_mistake_is_reported(mistake: str, problems: list[str]) -> None:
    assert any(problem.startswith(EXPECTED[mistake]) for problem in problems), problems
