"""Bounds on what callers may write into a dataset aggregate.

The aggregate is rewritten whole on every command of its dataset, so whatever a
caller can make it hold, every later command pays for: each free-text field and
each collection in it is bounded here, once, and refused with a 400 beyond that.
(Names, labels included, are bounded in `names`.)
"""

from __future__ import annotations

from optimus.domain.errors import InvalidInput

MAX_WHO_LENGTH = 256  # who did it: the x-optimus-user header, in characters
MAX_REASON_LENGTH = 512  # why: the reason of a save, publish or discard, in characters
MAX_DIGEST_LENGTH = 128  # a digest policy's expected digest (ours are 79 characters)
MAX_TABLES = 1000  # tables of a dataset, and tables a table-counts policy names
MAX_RETAINED_VERSIONS = 1000  # keep-last-x-versions may keep at most this many
MAX_OPEN_VERSIONS = 100  # versions of a dataset not yet saved (loading or saving) at once


def bounded_text(kind: str, value: str, max_length: int) -> str:
    if len(value) > max_length:
        raise InvalidInput(
            f"{kind} is {len(value)} characters long; at most {max_length} are allowed",
            code="too-long",
            field=kind,
            limit=max_length,
        )
    return value


def check_who(by: str) -> str:
    return bounded_text("x-optimus-user", by, MAX_WHO_LENGTH)


def check_reason(reason: str | None) -> str | None:
    return None if reason is None else bounded_text("reason", reason, MAX_REASON_LENGTH)
