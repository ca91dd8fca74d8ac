"""The publish log of a dataset: which version was active from when until when.

As-of reads are answered from it, so replicas keep it in their views too,
moved on by the same PUBLISHED events (`after_publish`).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from optimus.domain.errors import InvalidInput

# Publications kept (the most recent; the dataset header carries them, rewritten on every
# command): as-of reads further back answer 404.
MAX_PUBLICATIONS = 256


@dataclass(frozen=True, slots=True)
class Publication:
    """`version_id` was the active version from `start` until `end` (epoch ms; None: still)."""

    version_id: str
    start: int
    end: int | None
    by: str
    reason: str | None


def after_publish(
    log: tuple[Publication, ...], version_id: str, *, at: int, by: str, reason: str | None
) -> tuple[Publication, ...]:
    """The log once `version_id` is published at `at`: the live publication ends then."""
    closed = (*log[:-1], replace(log[-1], end=at)) if log else ()
    return (*closed, Publication(version_id, at, None, by, reason))[-MAX_PUBLICATIONS:]


def published_at(log: tuple[Publication, ...], instant: int) -> Publication | None:
    """The publication live at `instant`, if any (start <= instant < end)."""
    index = bisect_right([p.start for p in log], instant) - 1
    if index < 0:
        return None
    publication = log[index]
    return publication if publication.end is None or instant < publication.end else None


def parse_instant(text: object) -> int:
    """An RFC 3339 time with its offset (2026-12-01T19:46:50Z) as epoch milliseconds."""
    try:
        parsed = datetime.fromisoformat(text) if isinstance(text, str) and "T" in text else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(
            "as-of must be an RFC 3339 time with an offset, such as 2026-12-01T19:46:50Z",
            code="invalid-as-of",
            value=text,
        )
    return int(parsed.timestamp() * 1000)


def format_instant(ms: int) -> str:
    """Epoch milliseconds as an RFC 3339 time in UTC."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
