"""Who the caller is and whether it may do what it asks, for the FastAPI routes.

With auth off there is no principal: every call is allowed, and the caller is
whoever `x-optimus-user` claims (the newcomer's loopback server). With auth on
the `Authenticate` layer has put the principal in the scope, and that header
is ignored.
"""

from __future__ import annotations

from fastapi import Request

from optimus.domain.access import Principal, Role
from optimus.domain.errors import NotFound, forbidden
from optimus.entrypoints.api.audit_trail import PRINCIPAL, TARGET_DATASET, claimed_user
from optimus.entrypoints.api.request_input import services


def principal(request: Request) -> Principal | None:
    return request.scope.get(PRINCIPAL)


def caller(request: Request) -> str:
    """Who made the request, for operation logs, events and the audit log."""
    found = principal(request)
    if found is not None:
        return found.name
    return claimed_user(request.scope)


def require(request: Request, role: Role, dataset: str) -> None:
    """Forbidden (403) unless the caller holds `role` on `dataset` (all pass with auth off).

    The dataset is noted as the request's target, for the audit log.
    """
    request.scope[TARGET_DATASET] = dataset
    found = principal(request)
    if found is not None and not found.may(role, dataset):
        raise forbidden(found.name, role, dataset)


def may(request: Request, role: Role, dataset: str) -> bool:
    found = principal(request)
    return found is None or found.may(role, dataset)


async def require_on_version(request: Request, role: Role, version_id: str) -> str | None:
    """Forbidden unless the caller holds `role` on the version's dataset; the dataset's name.

    None for a version that does not exist: there is nothing to protect, and the use
    case answers (and counts) the 404 as for any caller.
    """
    try:
        dataset = await services(request).host.dataset_of_version(version_id)
    except NotFound:
        return None
    require(request, role, dataset)
    return dataset
