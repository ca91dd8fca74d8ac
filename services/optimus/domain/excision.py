"""Excision: entries removed for good from every retained version (the right to erasure).

A version keeps, per excision, the SHA-256 hashes of the keys removed (never the
keys or their values): enough to answer a later read of such a key `excised`,
and for an auditor holding a key to check that it was removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from optimus.domain.errors import InvalidInput

# Keys per excision: each costs a lookup in every retained version, and its hash is kept
# in each of them (the aggregate is rewritten on every command).
MAX_EXCISED_KEYS = 1000


def key_hash(key: str) -> str:
    """The SHA-256 (hex) of the key's UTF-8 bytes: what is kept of an excised key."""
    return sha256(key.encode()).hexdigest()


def mark(table: str, hashed: str) -> str:
    """One excised entry of a version: its table and key hash (table names have no "/")."""
    return f"{table}/{hashed}"


def check_excision_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(
            "an excision needs a reason (it is kept in the audit and operation logs)",
            code="reason-required",
            field="reason",
        )
    return reason


@dataclass(frozen=True, slots=True)
class Excision:
    """Keys of one table removed from a version: when, by whom, why, and their hashes."""

    at: int
    by: str
    reason: str
    table: str
    key_hashes: tuple[str, ...]

    def marks(self) -> frozenset[str]:
        return frozenset(mark(self.table, hashed) for hashed in self.key_hashes)

    def summary(self) -> dict[str, Any]:
        """What `GET /v1/versions/{id}` shows of it."""
        return {
            "at": self.at,
            "by": self.by,
            "reason": self.reason,
            "table": self.table,
            "keys": len(self.key_hashes),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "key_hashes": list(self.key_hashes)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Excision:
        return cls(raw["at"], raw["by"], raw["reason"], raw["table"], tuple(raw["key_hashes"]))
