"""Domain errors. Each kind maps to one HTTP status at the API edge."""

from __future__ import annotations

from typing import Any


class OptimusError(Exception):
    """Base of every error the product reports to its users.

    `code` is a stable machine-readable identifier; `details` carries the
    context a caller needs to act on the error (ids, states, offending items).
    """

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(OptimusError):
    """The request is malformed or names something in a way that is not allowed."""

    code = "invalid-input"


class NotFound(OptimusError):
    """A named dataset, table, version or key does not exist."""

    code = "not-found"


class Conflict(OptimusError):
    """The request is valid but not in the current state (e.g. an illegal transition)."""

    code = "conflict"


class Gone(OptimusError):
    """The version existed but its entries were deleted (discarded, failed or evicted)."""

    code = "gone"


class TooLarge(OptimusError):
    """A value or a request exceeds a configured size limit."""

    code = "too-large"


class Unavailable(OptimusError):
    """The request can't be served now (a full disk, a store that is away): nothing of it
    was done, and the same request may succeed after `retry_after` seconds."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


# The errors every host raises about what does not exist, worded once.
def unknown_dataset(name: str) -> NotFound:
    return NotFound(f"dataset {name!r} does not exist", dataset=name)


def unknown_version(version_id: str) -> NotFound:
    return NotFound(f"version {version_id} does not exist", version=version_id)


def dataset_exists(name: str) -> Conflict:
    return Conflict(f"dataset {name!r} already exists", code="dataset-exists", dataset=name)
