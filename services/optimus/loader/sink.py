"""Where batches go: the seam between the load pipeline and a store.

`EntrySink` is all the pipeline needs of a store. `HttpSink` writes through
the REST API (the embedded server, or the Dapr deployment's API through
its base URL). A loader worker that writes straight into the Dapr state
store implements the same protocol and raises the same three outcomes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import orjson

from optimus.client import AsyncOptimusClient, BadRequest, TooLarge, is_transient
from optimus.loader.encoding import EncodedBatch, Entry
from optimus.loader.errors import LoadFailed

_ITEM_OVERHEAD = len('{"table":"","key":"","value":},')
# Refusals of some entries of a batch, by index: those become bad rows, the rest is resent.
REJECTED_ENTRY_CODES = ("invalid-entries", "value-too-large", "duplicate-keys")


class TransientWriteError(Exception):
    """The write may succeed if tried again (no answer, overload, a failing node)."""


class RejectedEntries(Exception):
    """The store refused some entries of the batch, by index; the others were not written."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        super().__init__(f"{len(problems)} entries refused")
        self.problems = list(problems)


class EntrySink(Protocol):
    """Writes batches into one version of a dataset.

    `write` returns once every entry of the batch is stored durably. Writing
    the same entries again must change nothing (retries and resumed loads
    resend batches). It raises `TransientWriteError` when a retry may help,
    `RejectedEntries` for entries the store will never accept, and anything
    else stops the load.
    """

    async def write(self, batch: EncodedBatch) -> None: ...


class HttpSink:
    """Batches as `POST /datasets/{ds}?version-id=` requests of at most `max_request_bytes`."""

    def __init__(
        self,
        client: AsyncOptimusClient,
        dataset: str,
        version_id: str,
        *,
        is_json: bool,
        max_request_bytes: int = 8 << 20,
    ) -> None:
        self._client = client
        self._dataset = dataset
        self._version_id = version_id
        self._is_json = is_json
        self._max_request_bytes = max_request_bytes

    async def write(self, batch: EncodedBatch) -> None:
        for offset, body in self._requests(batch.entries):
            try:
                await self._client.load_entries(self._dataset, self._version_id, body)
            except (BadRequest, TooLarge) as exc:
                problems = exc.details.get("problems")
                if exc.code not in REJECTED_ENTRY_CODES or not problems:
                    raise LoadFailed(f"batch {batch.id} refused: {exc}") from None
                raise RejectedEntries(
                    [
                        (offset + p["index"], f"refused by the server: {p['reason']}")
                        for p in problems
                    ]
                ) from None
            except Exception as exc:
                if is_transient(exc):
                    raise TransientWriteError(str(exc)) from exc
                raise

    def _requests(self, entries: list[Entry]) -> Iterator[tuple[int, bytes]]:
        """(offset of the first entry, body) of each request of at most ~max_request_bytes."""
        start = 0
        size = 0
        for index, (table, key, data) in enumerate(entries):
            item_size = len(table) + len(key) + len(data) + _ITEM_OVERHEAD
            if index > start and size + item_size > self._max_request_bytes:
                yield start, self._body(entries[start:index])
                start, size = index, 0
            size += item_size
        if start < len(entries):
            yield start, self._body(entries[start:])

    def _body(self, entries: list[Entry]) -> bytes:
        if self._is_json:  # values are JSON already: embedded as they are
            return orjson.dumps(
                [{"table": t, "key": k, "value": orjson.Fragment(v)} for t, k, v in entries]
            )
        return orjson.dumps([{"table": t, "key": k, "value": v.decode()} for t, k, v in entries])
