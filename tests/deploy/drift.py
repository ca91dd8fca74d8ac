"""The deployed Dapr components and resiliency policy are those the tests run with.

components/redis and components/postgres are the sets the test suite runs Optimus
on with several replicas; they name the same components. Each must be deployed,
with the type, version and metadata of that component in one of the two sets;
only where the server is (host, connection string) and how to authenticate
(secret references) may differ. The Resiliency policy is the same document as
components/common/resiliency.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.deploy.manifests import REPO_ROOT, Obj, by_name, metadata_items, of_kind

COMPONENTS_DIR = REPO_ROOT / "components"
# The sets whose components may be deployed (the first one names them all).
SHARED_SETS = ("redis", "postgres")
# Metadata that says where the server is: per environment by design.
HOST_METADATA = frozenset({"redisHost", "connectionString"})


def component_drift(objects: list[Obj]) -> list[str]:
    deployed = by_name(objects, "Component")
    problems = []
    for path in sorted((COMPONENTS_DIR / SHARED_SETS[0]).glob("*.yaml")):
        name = _load(path)["metadata"]["name"]
        component = deployed.get(name)
        if component is None:
            problems.append(f"Component/{name} ({path.name}) is not deployed")
            continue
        match = _local_match(name, component["spec"].get("type"))
        if match is None:
            problems.append(
                f"Component/{name}: type {component['spec'].get('type')} is in none of "
                f"components/{{{','.join(SHARED_SETS)}}}"
            )
            continue
        local_set, local = match
        if component["spec"].get("version") != local["spec"].get("version"):
            problems.append(
                f"Component/{name}: version {component['spec'].get('version')}, "
                f"components/{local_set} has {local['spec'].get('version')}"
            )
        want, got = _comparable(local), _comparable(component)
        for key in sorted(want.keys() | got.keys()):
            if want.get(key) != got.get(key):
                problems.append(
                    f"Component/{name}: metadata {key} is {got.get(key)!r}, "
                    f"components/{local_set} has {want.get(key)!r}"
                )
    return problems


def _local_match(name: str, component_type: str | None) -> tuple[str, Obj] | None:
    """The set and local component with this name and type, if a shared set has one."""
    for folder in SHARED_SETS:
        for path in sorted((COMPONENTS_DIR / folder).glob("*.yaml")):
            local = _load(path)
            if local["metadata"]["name"] == name and local["spec"]["type"] == component_type:
                return folder, local
    return None


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
