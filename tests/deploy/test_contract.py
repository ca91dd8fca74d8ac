"""The manifests agree with the application code and with Dapr's release."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.deploy.contract import (
    app_problems,
    auth_problems,
    component_problems,
    pubsub_problems,
    secret_problems,
)
from tests.deploy.drift import drift_problems
from tests.deploy.manifests import APP_OVERLAYS, Obj


@pytest.mark.parametrize("overlay", APP_OVERLAYS)
def test_app_ids_ports_args_probes_and_annotations_agree_with_the_app(
    overlay: str, rendered: Callable[[str], list[Obj]]
) -> None:
    assert app_problems(rendered(overlay)) == []


@pytest.mark.parametrize("overlay", APP_OVERLAYS)
def test_every_component_the_apps_name_exists_and_is_scoped_to_them(
    overlay: str, rendered: Callable[[str], list[Obj]]
) -> None:
    assert component_problems(rendered(overlay)) == []


@pytest.mark.parametrize("overlay", APP_OVERLAYS)
def test_publisher_subscriber_and_consumer_agree_on_pubsub_and_topic(
    overlay: str, rendered: Callable[[str], list[Obj]]
) -> None:
    assert pubsub_problems(rendered(overlay)) == []


@pytest.mark.parametrize("overlay", APP_OVERLAYS)
def test_no_plaintext_secrets(overlay: str, rendered: Callable[[str], list[Obj]]) -> None:
    assert secret_problems(rendered(overlay)) == []


@pytest.mark.parametrize("overlay", APP_OVERLAYS)
def test_components_and_resiliency_are_those_the_tests_run_with(
    overlay: str, rendered: Callable[[str], list[Obj]]
) -> None:
    assert drift_problems(rendered(overlay)) == []


@pytest.mark.parametrize("overlay", APP_OVERLAYS)
def test_no_overlay_runs_the_api_without_auth(
    overlay: str, rendered: Callable[[str], list[Obj]]
) -> None:
    assert auth_problems(rendered(overlay)) == []
