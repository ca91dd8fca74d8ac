"""The benchmarks' data: keys `k00000000…`, values whose stored JSON is exactly 100 bytes."""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b

import orjson

TABLE = "t"
VALUE_BYTES = 100  # stored bytes of every value (a JSON string of 98 characters)


def key_name(index: int) -> str:
    return f"k{index:08d}"


def value_of(index: int) -> str:
    """98 hex digits, so the stored JSON value is exactly VALUE_BYTES bytes.

    Pseudo-random, so that blocks compress as real values would (about 2:1),
    not as a run of one letter would.
    """
    return blake2b(index.to_bytes(8, "big"), digest_size=(VALUE_BYTES - 2) // 2).hexdigest()


class Scatter:
    """A cheap permutation of range(n), so that batches carry keys in random order."""

    def __init__(self, n: int, seed: int = 12345) -> None:
        multiplier = 2654435761
        while _gcd(multiplier, n) != 1:
            multiplier += 2
        self._n = n
        self._multiplier = multiplier
        self._offset = seed % n

    def __call__(self, j: int) -> int:
        return (j * self._multiplier + self._offset) % self._n


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def batch_indices(n: int, batch: int, scatter: Scatter, number: int) -> list[int]:
    start = number * batch
    return [scatter(j) for j in range(start, min(start + batch, n))]


def store_batches(count: int, size: int = 1000) -> list[list[tuple[str, str, bytes]]]:
    """`count` batches of `size` entries in random key order, as the store receives them: the
    same batches for a writer and for its baseline."""
    n = count * size
    scatter = Scatter(n)
    return [batch_entries(batch_indices(n, size, scatter, b)) for b in range(count)]


def table_body(indices: Sequence[int]) -> bytes:
    """A batch for `POST …/tables/t/entries`: [{key, value}, …]."""
    return orjson.dumps([{"key": key_name(i), "value": value_of(i)} for i in indices])


def dataset_body(indices: Sequence[int]) -> bytes:
    """A batch for the SDK's `load_entries` (`POST /v1/datasets/{ds}`): [{table, key, value}]."""
    return orjson.dumps(
        [{"table": TABLE, "key": key_name(i), "value": value_of(i)} for i in indices]
    )


def batch_entries(indices: Sequence[int]) -> list[tuple[str, str, bytes]]:
    """The same batch as the store receives it: (table, key, stored value bytes)."""
    return [(TABLE, key_name(i), orjson.dumps(value_of(i))) for i in indices]


def table_path(dataset: str, version_id: str) -> str:
    return f"/v1/datasets/{dataset}/tables/{TABLE}/entries?version-id={version_id}"
