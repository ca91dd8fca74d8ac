"""A sink for loader workers: batches straight into the Dapr state store, not through the API.

The same adapters as the Dapr host write them: the dataset's actor admits
and numbers each batch (and refuses it once the version is saving), the
batch lands with its manifest in one state transaction. Keys, tables and
value sizes were already checked by the encoder, with the server's rules.
"""

from __future__ import annotations

from dapr.clients.exceptions import DaprGrpcError
from grpc.aio import AioRpcError

from optimus.domain.errors import OptimusError
from optimus.loader.encoding import EncodedBatch
from optimus.loader.errors import LoadFailed
from optimus.loader.sink import TransientWriteError
from optimus.service_layer.ports import Batch, EntryStore, WriteFence


class DaprStateSink:
    def __init__(self, store: EntryStore, fence: WriteFence, dataset: str, version_id: str) -> None:
        self._store = store
        self._fence = fence
        self._dataset = dataset
        self._version_id = version_id

    async def write(self, batch: EncodedBatch) -> None:
        unit = Batch(self._dataset, self._version_id, batch.entries)
        try:
            async with self._fence.writing(unit):
                await self._store.write(unit)
        except OptimusError as refused:  # e.g. the version is no longer AWAITING_ENTRIES
            raise LoadFailed(f"batch {batch.id} refused: {refused.message}") from None
        except (AioRpcError, DaprGrpcError) as failed:  # the sidecar or the store: retry
            raise TransientWriteError(f"batch {batch.id}: {failed}") from None
