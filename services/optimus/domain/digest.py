"""Content digest of a version that does not depend on load order or batching.

Each entry hashes to a 256-bit integer (BLAKE2b over the length-prefixed
table, key and stored value bytes); the digest is the sum of those integers
modulo 2**256. Addition is commutative and associative, so parallel loaders,
retried batches and any write order give the same digest for the same final
set of entries, and per-batch partial digests can be combined. (This is the
"additive multiset hash" construction; it is an integrity check, not a MAC.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b

_MODULUS = 1 << 256
DIGEST_PREFIX = "blake2b-sum:"


def _length_prefixed(text: str) -> bytes:
    encoded = text.encode()
    return len(encoded).to_bytes(4, "big") + encoded


def _hash(table_prefix: bytes, key: str, value: bytes) -> int:
    message = table_prefix + _length_prefixed(key) + value
    return int.from_bytes(blake2b(message, digest_size=32).digest(), "big")


def entry_hash(table: str, key: str, value: bytes) -> int:
    """BLAKE2b-256 of len(table) table len(key) key value (lengths: 4 bytes, big-endian)."""
    return _hash(_length_prefixed(table), key, value)


@dataclass(slots=True)
class EntryStats:
    """Counts per table and the running digest sum of a set of entries."""

    counts: dict[str, int] = field(default_factory=dict)
    digest_sum: int = 0
    # Encoded table prefixes: loaders add millions of entries of a few tables.
    _tables: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def add(self, table: str, key: str, value: bytes) -> None:
        prefix = self._tables.get(table)
        if prefix is None:
            prefix = self._tables[table] = _length_prefixed(table)
            self.counts.setdefault(table, 0)
        self.counts[table] += 1
        self.digest_sum = (self.digest_sum + _hash(prefix, key, value)) % _MODULUS

    def add_many(self, table: str, keys: Sequence[str], values: Sequence[bytes]) -> None:
        """`add` of each (key, value) of one table: a replica's download adds millions."""
        prefix = self._tables.get(table)
        if prefix is None:
            prefix = self._tables[table] = _length_prefixed(table)
        total = 0  # reduced once, not per entry
        for key, value in zip(keys, values, strict=True):
            total += _hash(prefix, key, value)
        self.counts[table] = self.counts.get(table, 0) + len(keys)
        self.digest_sum = (self.digest_sum + total) % _MODULUS

    def remove(self, table: str, key: str, value: bytes) -> None:
        """Take an entry out again (a patch replaces or retracts an entry of its base)."""
        self.counts[table] = self.counts.get(table, 0) - 1
        self.digest_sum = (self.digest_sum - entry_hash(table, key, value)) % _MODULUS

    def merge(self, other: EntryStats) -> None:
        for table, count in other.counts.items():
            self.counts[table] = self.counts.get(table, 0) + count
        self.digest_sum = (self.digest_sum + other.digest_sum) % _MODULUS

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def digest(self) -> str:
        return f"{DIGEST_PREFIX}{self.digest_sum:064x}"


def stats_from(counts: dict[str, int], digest: str | None) -> EntryStats:
    """The stats a saved version recorded (its counts and digest), to add to or take from."""
    total = int(digest.removeprefix(DIGEST_PREFIX), 16) if digest else 0
    return EntryStats(dict(counts), total)


def stats_of(entries: Iterable[tuple[str, str, bytes]]) -> EntryStats:
    stats = EntryStats()
    for table, key, value in entries:
        stats.add(table, key, value)
    return stats
