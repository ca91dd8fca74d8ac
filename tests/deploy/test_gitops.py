"""Flux and Argo CD apply the prod overlay of this repository."""

from __future__ import annotations

from collections.abc import Callable

from tests.deploy.gitops import ARGO_APPLICATION, kind_of, repository_urls
from tests.deploy.manifests import Obj


def test_flux_and_argo_cd_follow_the_same_repository(
    rendered: Callable[[str], list[Obj]],
) -> None:
    objects = rendered("gitops/flux") + rendered("gitops/argocd")
    assert len(repository_urls(objects)) == 1


def test_argo_cd_deploys_into_the_overlays_namespace(
    rendered: Callable[[str], list[Obj]],
) -> None:
    (application,) = [o for o in rendered("gitops/argocd") if kind_of(o) == ARGO_APPLICATION]
    overlay = application["spec"]["source"]["path"].removeprefix("deploy/")
    namespaces = {o["metadata"]["name"] for o in rendered(overlay) if o["kind"] == "Namespace"}
    assert namespaces == {application["spec"]["destination"]["namespace"]}
