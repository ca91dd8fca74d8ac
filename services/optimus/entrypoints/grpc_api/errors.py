"""Domain errors as gRPC statuses, with the REST error's `code` in the trailing metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import grpc
from grpc import StatusCode

from optimus.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    OptimusError,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

ERROR_CODE_KEY = "optimus-error-code"

Metadata = Sequence[tuple[str, str]]

STATUS: dict[type[OptimusError], StatusCode] = {
    InvalidInput: StatusCode.INVALID_ARGUMENT,
    NotFound: StatusCode.NOT_FOUND,
    Conflict: StatusCode.FAILED_PRECONDITION,
    # The version existed but its entries are deleted: not found, told apart by its code.
    Gone: StatusCode.NOT_FOUND,
    TooLarge: StatusCode.RESOURCE_EXHAUSTED,
    Unauthenticated: StatusCode.UNAUTHENTICATED,
    Forbidden: StatusCode.PERMISSION_DENIED,
    Unavailable: StatusCode.UNAVAILABLE,
}


def status_of(exc: OptimusError) -> StatusCode:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]  # type: ignore[index]
    return StatusCode.INTERNAL


async def abort(
    context: grpc.aio.ServicerContext, exc: OptimusError, metadata: Metadata = ()
) -> NoReturn:
    """End the call with the error's status, its message and, as metadata, its code."""
    await context.abort(
        status_of(exc), exc.message, trailing_metadata=((ERROR_CODE_KEY, exc.code), *metadata)
    )
    raise AssertionError("context.abort returns only by raising")
