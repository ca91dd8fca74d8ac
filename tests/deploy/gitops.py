"""The GitOps objects point at this repository's overlays.

Flux's and Argo CD's CRDs are not available offline here, so these objects get
the checks that matter for Optimus instead of a schema: the current API versions,
the fields each controller requires, a source that exists, and a path that is an
overlay of this repository (which the other tests render and validate).
"""

from __future__ import annotations

from tests.deploy.manifests import APP_OVERLAYS, DEPLOY_DIR, REPO_ROOT, Obj, ref

FLUX_SOURCE = ("source.toolkit.fluxcd.io/v1", "GitRepository")
FLUX_KUSTOMIZATION = ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
ARGO_APPLICATION = ("argoproj.io/v1alpha1", "Application")
REQUIRED = {
    FLUX_SOURCE: ("interval", "url", "ref"),
    FLUX_KUSTOMIZATION: ("interval", "prune", "sourceRef", "path"),
    ARGO_APPLICATION: ("project", "source", "destination"),
}
APP_OVERLAY_DIRS = frozenset((DEPLOY_DIR / overlay).resolve() for overlay in APP_OVERLAYS)


def kind_of(obj: Obj) -> tuple[str, str]:
    return obj["apiVersion"], obj["kind"]


def is_gitops(obj: Obj) -> bool:
    return kind_of(obj) in REQUIRED


def gitops_problems(obj: Obj, objects: list[Obj]) -> list[str]:
    spec = obj.get("spec", {})
    problems = [
        f"{ref(obj)}: spec.{f} is required" for f in REQUIRED[kind_of(obj)] if f not in spec
    ]
    if not obj["metadata"].get("namespace"):
        problems.append(f"{ref(obj)}: no namespace (the controller's own)")
    if kind_of(obj) == FLUX_KUSTOMIZATION:
        source = spec.get("sourceRef", {})
        if not any(
            kind_of(o) == FLUX_SOURCE and o["metadata"]["name"] == source.get("name")
            for o in objects
        ):
            problems.append(f"{ref(obj)}: sourceRef {source} is not in this kustomization")
        problems += _path_problems(obj, spec.get("path", ""))
    if kind_of(obj) == ARGO_APPLICATION:
        problems += _path_problems(obj, spec.get("source", {}).get("path", ""))
        destination = spec.get("destination", {})
        if not (destination.get("server") or destination.get("name")):
            problems.append(f"{ref(obj)}: destination needs a server or a name")
    return problems


def repository_urls(objects: list[Obj]) -> set[str]:
    urls = set()
    for obj in objects:
        if kind_of(obj) == FLUX_SOURCE:
            urls.add(obj["spec"]["url"])
        if kind_of(obj) == ARGO_APPLICATION:
            urls.add(obj["spec"]["source"]["repoURL"])
    return urls


def _path_problems(obj: Obj, path: str) -> list[str]:
    if (REPO_ROOT / path).resolve() not in APP_OVERLAY_DIRS:
        return [f"{ref(obj)}: path {path!r} is not an overlay under deploy/"]
    return []
