"""The Dapr host's audit log: records in the state store, each also published on `optimus-audit`.

Keys `a/head` (the last sequence and hash) and `a/<sequence>` (state_keys.py). Every
replica appends: a record and the new head are written in one transaction
that carries the head's ETag, so two replicas appending at once cannot both
take a sequence; the loser reads the head again and retries.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from dapr.aio.clients import DaprClient
from dapr.clients.grpc._request import TransactionalStateOperation

from optimus.domain.audit import GENESIS, AuditEntry, AuditRecord, chained
from optimus.hosts.dapr import state_keys
from optimus.hosts.dapr.components import AUDIT_TOPIC, DaprNames

log = logging.getLogger(__name__)

HEAD_KEY = state_keys.AUDIT_HEAD
ATTEMPTS = 20


class DaprAuditStore:
    def __init__(self, client: DaprClient, names: DaprNames) -> None:
        self._client = client
        self._names = names
        self._store = names.entries_store
        self._lock = asyncio.Lock()  # this replica's appends, one at a time

    async def _head(self) -> tuple[int, str, str]:
        """The last sequence, its hash and the head's ETag (a fresh log gets its head first)."""
        found = await self._client.get_state(self._store, HEAD_KEY)
        if not found.etag:
            # Every replica would write the same first head: racing here is harmless.
            empty = orjson.dumps({"sequence": 0, "hash": GENESIS})
            await self._client.save_state(self._store, HEAD_KEY, empty)
            found = await self._client.get_state(self._store, HEAD_KEY)
        head = orjson.loads(found.data)
        return head["sequence"], head["hash"], found.etag

    async def append(self, entry: AuditEntry) -> AuditRecord:
        async with self._lock:
            for attempt in range(ATTEMPTS):
                sequence, previous, etag = await self._head()
                record = chained(sequence + 1, entry, previous)
                head = orjson.dumps({"sequence": record.sequence, "hash": record.hash})
                operations = [
                    TransactionalStateOperation(HEAD_KEY, head, etag=etag),
                    TransactionalStateOperation(
                        state_keys.audit_record(record.sequence), orjson.dumps(record.as_dict())
                    ),
                ]
                try:
                    await self._client.execute_state_transaction(self._store, operations)
                except Exception as exc:  # the head moved on (another replica appended)
                    if attempt == ATTEMPTS - 1:
                        raise
                    log.debug("audit append retried: %s", exc)
                    continue
                break
        try:
            await self._client.publish_event(
                pubsub_name=self._names.pubsub,
                topic_name=AUDIT_TOPIC,
                data=orjson.dumps(record.as_dict()),
                data_content_type="application/json",
            )
        except Exception as exc:  # the record is stored: pub/sub only carries a copy
            log.warning(
                "audit record %d not published on %s: %s", record.sequence, AUDIT_TOPIC, exc
            )
        return record

    async def after(self, sequence: int, limit: int) -> list[AuditRecord]:
        last, _, _ = await self._head()
        sequences = range(sequence + 1, min(last, sequence + limit) + 1)
        keys = [state_keys.audit_record(s) for s in sequences]
        if not keys:
            return []
        found = await self._client.get_bulk_state(self._store, keys)
        by_key = {item.key: item.data for item in found.items if item.data}
        # A missing record is left out: the chain check then names it.
        return [AuditRecord.from_dict(orjson.loads(by_key[k])) for k in keys if k in by_key]
