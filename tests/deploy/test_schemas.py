"""Every overlay renders with kustomize, and every object it renders is valid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from optimus.dapr_runtime.binaries import dapr_version as pinned_dapr_version
from tests.deploy.manifests import APP_OVERLAYS, OVERLAYS, Obj, is_dapr
from tests.deploy.schemas import KUBERNETES_VERSION, dapr_version
from tests.deploy.validate import object_problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_against_its_schema(
    overlay: str, rendered: Callable[[str], list[Obj]]
) -> None:
    objects = rendered(overlay)
    assert objects, f"{overlay} renders nothing"
    assert object_problems(objects) == []


@pytest.mark.parametrize("overlay", APP_OVERLAYS)
def test_an_app_overlay_has_core_and_dapr_objects_and_no_duplicates(
    overlay: str, rendered: Callable[[str], list[Obj]]
) -> None:
    objects = rendered(overlay)
    kinds = Counter(obj["kind"] for obj in objects)
    assert {"Deployment", "Service", "PodDisruptionBudget", "ServiceAccount"} <= kinds.keys()
    assert {"Component", "Configuration", "Resiliency", "Subscription"} <= kinds.keys()
    assert any(is_dapr(obj) for obj in objects)
    ids = Counter(
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects
    )
    assert [key for key, count in ids.items() if count > 1] == []


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_an_overlay_puts_everything_in_its_own_namespace(
    overlay: str, rendered: Callable[[str], list[Obj]]
) -> None:
    objects = rendered(overlay)
    (namespace,) = [o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"]
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {
        namespace
    }


def test_the_pinned_versions() -> None:
    # The Dapr CRDs come from the release tools/dapr builds the sidecar from.
    assert dapr_version() == pinned_dapr_version()
    assert KUBERNETES_VERSION.startswith("1.32.")
