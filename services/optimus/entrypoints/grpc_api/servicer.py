"""The optimus.v1.Optimus service: the same read use cases as the REST routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from optimus.domain.access import Principal, Role
from optimus.domain.errors import InvalidInput, OptimusError, forbidden
from optimus.domain.names import validate_name
from optimus.entrypoints.api.entry_responses import missing_key
from optimus.entrypoints.grpc_api.errors import abort
from optimus.entrypoints.grpc_api.messages import dataset_change, version_metadata
from optimus.service_layer.ports import EntryPage, ScanPosition, TokenVerifier
from optimus.service_layer.reads import EntryReader
from optimus.service_layer.views import ViewSource
from optimus.service_layer.watching import EventFeed, watch_dataset
from optimus.v1 import optimus_pb2 as pb
from optimus.v1 import optimus_pb2_grpc

Context = grpc.aio.ServicerContext
DEFAULT_CHUNK_SIZE = 1000
# Well under the 4 MiB a gRPC client accepts by default: a chunk of large values is split.
MAX_CHUNK_BYTES = 1 << 20


def _version_id(requested: str) -> str | None:
    return requested or None  # proto3: unset is empty


def _position(request: pb.StreamVersionRequest) -> ScanPosition | None:
    if not request.after_table:
        if request.after_key:
            raise InvalidInput("after_key needs after_table", code="invalid-position")
        return None
    validate_name("after_table", request.after_table)
    return (request.after_table, request.after_key)


def _chunks(page: EntryPage) -> list[pb.EntryChunk]:
    if sum(map(len, page.values)) <= MAX_CHUNK_BYTES:
        return [pb.EntryChunk(table=page.table, keys=page.keys, values=page.values)]
    chunks, start, size = [], 0, 0
    for end, value in enumerate(page.values):
        if size and size + len(value) > MAX_CHUNK_BYTES:
            chunks.append(
                pb.EntryChunk(
                    table=page.table, keys=page.keys[start:end], values=page.values[start:end]
                )
            )
            start, size = end, 0
        size += len(value)
    chunks.append(
        pb.EntryChunk(table=page.table, keys=page.keys[start:], values=page.values[start:])
    )
    return chunks


class OptimusServicer(optimus_pb2_grpc.OptimusServicer):
    def __init__(
        self,
        reader: EntryReader,
        views: ViewSource,
        feed: EventFeed,
        authenticator: TokenVerifier | None = None,
    ) -> None:
        self._reader = reader
        self._views = views
        self._feed = feed
        self._authenticator = authenticator

    def _caller(self, context: Context, dataset: str) -> Principal | None:
        """Who calls, with the `reader` role on the dataset; None when the API is open."""
        if self._authenticator is None:
            return None
        metadata = dict(context.invocation_metadata() or ())
        principal = self._authenticator.principal(metadata.get("authorization"))
        if not principal.may(Role.READER, dataset):
            raise forbidden(principal.name, Role.READER, dataset)
        return principal

    async def Get(self, request: pb.GetRequest, context: Context) -> pb.GetResponse:
        try:
            validate_name("dataset", request.dataset)
            caller = self._caller(context, request.dataset)
            read = await self._reader.read_one(
                request.dataset, request.table, request.key, _version_id(request.version_id), caller
            )
        except OptimusError as exc:
            await abort(context, exc)
        metadata = version_metadata(read.view, read.version_id)
        if read.value is None:
            missing = missing_key(request.key, read.version_id, excised=read.excised)
            await abort(context, missing, metadata)
        context.set_trailing_metadata(metadata)
        return pb.GetResponse(value=read.value, content_type=read.view.content_type)

    async def GetMany(self, request: pb.GetManyRequest, context: Context) -> pb.GetManyResponse:
        try:
            validate_name("dataset", request.dataset)
            caller = self._caller(context, request.dataset)
            read = await self._reader.read_many(
                request.dataset,
                request.table,
                request.keys,
                _version_id(request.version_id),
                caller,
            )
        except OptimusError as exc:
            await abort(context, exc)
        values = {}
        missing = []
        for key, value in zip(read.keys, read.values, strict=True):
            if value is None:
                missing.append(key)
            else:
                values[key] = value
        context.set_trailing_metadata(version_metadata(read.view, read.version_id))
        return pb.GetManyResponse(
            values=values,
            missing_keys=list(dict.fromkeys(missing)),  # once each, as REST counts them
            content_type=read.view.content_type,
        )

    async def StreamVersion(
        self, request: pb.StreamVersionRequest, context: Context
    ) -> AsyncIterator[pb.EntryChunk]:
        try:
            validate_name("dataset", request.dataset)
            scan = await self._reader.scan(
                request.dataset,
                _version_id(request.version_id),
                request.table or None,
                _position(request),
                request.chunk_size or DEFAULT_CHUNK_SIZE,
                reader=self._caller(context, request.dataset),
            )
        except OptimusError as exc:
            await abort(context, exc)
        await context.send_initial_metadata(version_metadata(scan.view, scan.version_id))
        async for page in scan.pages:
            for chunk in _chunks(page):
                yield chunk

    async def WatchDataset(
        self, request: pb.WatchDatasetRequest, context: Context
    ) -> AsyncIterator[pb.DatasetChange]:
        try:
            validate_name("dataset", request.dataset)
            self._caller(context, request.dataset)
            async for change in watch_dataset(self._views, self._feed, request.dataset):
                yield dataset_change(change)
        except OptimusError as exc:
            await abort(context, exc)
