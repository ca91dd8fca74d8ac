"""Names of datasets, tables, labels and entry keys.

Optimus allows `[A-Za-z0-9-_.]`. We keep exactly that alphabet: such names
need no escaping in a URL path, a file name, a Redis or SQL key, or a Dapr
state key (whose separator is `||`). "." and ".." are refused because HTTP
clients collapse them as path segments.
"""

from __future__ import annotations

import re

from optimus.domain.errors import InvalidInput

MAX_NAME_LENGTH = 128
MAX_KEY_LENGTH = 1024

# The alphabet of names and keys, as a regex character class body.
ALPHABET = r"A-Za-z0-9_.\-"
# How a bad key is described to whoever sent it.
KEY_RULE = f"1..{MAX_KEY_LENGTH} characters of [A-Za-z0-9-_.]"
_NAME = re.compile(f"[{ALPHABET}]+")
_DOT_SEGMENTS = frozenset({".", ".."})


def is_valid_key(key: object) -> bool:
    """True if `key` may be used as an entry key (hot path: no exception)."""
    if type(key) is not str or not 0 < len(key) <= MAX_KEY_LENGTH:
        return False
    # Most keys are ASCII letters and digits: that check is several times cheaper.
    if key.isascii() and key.isalnum():
        return True
    return _NAME.fullmatch(key) is not None and key not in _DOT_SEGMENTS


def validate_name(kind: str, value: object, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """Return `value` if it is a valid name of `kind` (dataset, table, label...)."""
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{kind} must be a non-empty string", field=kind, value=value)
    if len(value) > max_length:
        raise InvalidInput(
            f"{kind} is longer than {max_length} characters", field=kind, value=value[:64] + "…"
        )
    if _NAME.fullmatch(value) is None or value in _DOT_SEGMENTS:
        raise InvalidInput(
            f"{kind} {value!r} has characters outside [A-Za-z0-9-_.]", field=kind, value=value
        )
    return value


def require_version_id(version_id: str) -> str:
    """A version id given in a request: empty is refused, never read as "none given"."""
    if not version_id:
        raise InvalidInput(
            "version-id is empty; name a version or leave it out", code="empty-version-id"
        )
    return version_id
