"""The methods a path answers: FastAPI's routes and the entry reads of `fast_reads`."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from optimus.entrypoints.api.fast_reads import read_route

_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Sorted, with OPTIONS; empty if no route has the path of `scope`."""
    methods = {
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    }
    if read_route(scope["path"]) is not None:
        methods.add("GET")
    return sorted(methods | {"OPTIONS"}) if methods else []
