"""Rendered overlays, shared by the deploy tests (kustomize is built on first use)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.deploy.kustomize import render
from tests.deploy.manifests import DEPLOY_DIR, Obj


@pytest.fixture(scope="session")
def rendered() -> Callable[[str], list[Obj]]:
    """`kustomize build deploy/OVERLAY`, once per overlay and session."""
    cache: dict[str, list[Obj]] = {}

    def objects(overlay: str) -> list[Obj]:
        if overlay not in cache:
            cache[overlay] = render(DEPLOY_DIR / overlay)
        return cache[overlay]

    return objects
