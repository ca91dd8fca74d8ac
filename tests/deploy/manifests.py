"""Where things are in rendered Kubernetes objects: names, pod templates, Dapr annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"
# Every kustomization under deploy/ that is meant to be applied.
OVERLAYS = (
    "base",
    "overlays/dev",
    "overlays/prod",
    "overlays/prod-postgres",
    "gitops/flux",
    "gitops/argocd",
)
# Those that deploy Optimus itself (the others deploy GitOps controllers' objects).
APP_OVERLAYS = ("base", "overlays/dev", "overlays/prod", "overlays/prod-postgres")

# Kinds with a pod template at spec.template (Tilt makes a resource of each).
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job"})
DAPR_GROUP = "dapr.io"

Obj = dict[str, Any]


def ref(obj: Obj) -> str:
    """`Kind/name`, as problems name an object."""
    return f"{obj['kind']}/{obj['metadata']['name']}"


def group(obj: Obj) -> str:
    api_version: str = obj["apiVersion"]
    return api_version.split("/")[0] if "/" in api_version else ""


def is_dapr(obj: Obj) -> bool:
    return group(obj) == DAPR_GROUP


def is_workload(obj: Obj) -> bool:
    return obj["kind"] in WORKLOAD_KINDS


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def by_name(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in of_kind(objects, kind)}


def pod_spec(obj: Obj) -> Obj:
    return obj["spec"]["template"]["spec"]


def pod_annotations(obj: Obj) -> dict[str, str]:
    return obj["spec"]["template"]["metadata"].get("annotations") or {}


def dapr_annotations(obj: Obj) -> dict[str, str]:
    return {k: v for k, v in pod_annotations(obj).items() if k.startswith("dapr.io/")}


def containers(obj: Obj) -> list[Obj]:
    spec = pod_spec(obj)
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def dapr_apps(objects: list[Obj]) -> dict[str, Obj]:
    """Dapr-enabled workloads by app id."""
    return {
        dapr_annotations(o)["dapr.io/app-id"]: o
        for o in objects
        if is_workload(o) and dapr_annotations(o).get("dapr.io/enabled") == "true"
    }


def metadata_items(component: Obj) -> dict[str, Obj]:
    """A Component's spec.metadata entries by name."""
    return {item["name"]: item for item in component["spec"].get("metadata") or []}
