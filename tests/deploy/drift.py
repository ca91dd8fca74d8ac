"""The deployed Dapr components and resiliency policy are those the tests run with.

components/redis is the set the test suite runs Optimus on (several replicas, one
Redis). Each of its components must be deployed with the same type, version and
metadata; only where the server is (host) and how to authenticate (secret
references) may differ. The Resiliency policy is the same document as
components/common/resiliency.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.deploy.manifests import REPO_ROOT, Obj, by_name, metadata_items, of_kind

COMPONENTS_DIR = REPO_ROOT / "components"
# Metadata that says where the server is: per environment by design.
HOST_METADATA = frozenset({"redisHost"})


def component_drift(objects: list[Obj]) -> list[str]:
    deployed = by_name(objects, "Component")
    problems = []
    for path in sorted((COMPONENTS_DIR / "redis").glob("*.yaml")):
        local = _load(path)
        name = local["metadata"]["name"]
        component = deployed.get(name)
        if component is None:
            problems.append(f"Component/{name} ({path.name}) is not deployed")
            continue
        for field in ("type", "version"):
            if component["spec"].get(field) != local["spec"].get(field):
                problems.append(
                    f"Component/{name}: {field} {component['spec'].get(field)}, "
                    f"components/redis has {local['spec'].get(field)}"
                )
        want, got = _comparable(local), _comparable(component)
        for key in sorted(want.keys() | got.keys()):
            if want.get(key) != got.get(key):
                problems.append(
                    f"Component/{name}: metadata {key} is {got.get(key)!r}, "
                    f"components/redis has {want.get(key)!r}"
                )
    return problems


def resiliency_drift(objects: list[Obj]) -> list[str]:
    local = _load(COMPONENTS_DIR / "common" / "resiliency.yaml")
    deployed = [r for r in of_kind(objects, "Resiliency") if _same_name(r, local)]
    if not deployed:
        return [f"Resiliency/{local['metadata']['name']} is not deployed"]
    if deployed[0]["spec"] != local["spec"]:
        return [
            f"Resiliency/{local['metadata']['name']}: spec differs from "
            "components/common/resiliency.yaml"
        ]
    return []


def drift_problems(objects: list[Obj]) -> list[str]:
    return component_drift(objects) + resiliency_drift(objects)


def _comparable(component: Obj) -> dict[str, Any]:
    """Metadata values by name, without hosts and secret references."""
    return {
        name: item.get("value")
        for name, item in metadata_items(component).items()
        if name not in HOST_METADATA and "secretKeyRef" not in item
    }


def _load(path: Path) -> Obj:
    return yaml.safe_load(path.read_text())


def _same_name(a: Obj, b: Obj) -> bool:
    return a["metadata"]["name"] == b["metadata"]["name"]
