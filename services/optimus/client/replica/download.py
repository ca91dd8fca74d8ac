"""Streaming one version into a store, resumable, and checking it against the server's record."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from optimus.client.models import Version
from optimus.client.replica.source import ReplicaSource
from optimus.client.replica.stores import Progress, VersionStore
from optimus.domain.digest import EntryStats
from optimus.v1 import optimus_pb2 as pb
from optimus.v1 import optimus_pb2_grpc


class Abandoned(Exception):
    """The version stopped being the one to download (a publish or rollback came meanwhile)."""


async def download(
    stub: optimus_pb2_grpc.OptimusStub,
    source: ReplicaSource,
    dataset: str,
    version_id: str,
    tables: Sequence[str],
    store: VersionStore,
    *,
    chunk_size: int,
    still_wanted: Callable[[], bool],
) -> int:
    """Stream what the store does not have yet of `tables` (in order); the entries received.

    Tables are streamed one by one (`StreamVersion` with `table`), so a resumed
    download restarts after the last (table, key) stored, whatever the tables.
    """
    progress = store.progress()
    received = 0
    for table in sorted(tables):
        if progress.after_table is not None and table < progress.after_table:
            continue
        after_key = progress.after_key if table == progress.after_table else None
        request = pb.StreamVersionRequest(
            dataset=dataset,
            version_id=version_id,
            table=table,
            after_table=table if after_key else "",
            after_key=after_key or "",
            chunk_size=chunk_size,
        )
        stats = progress.stats
        async for chunk in stub.StreamVersion(request, metadata=source.call_metadata()):
            keys, values = list(chunk.keys), list(chunk.values)
            if not keys:
                continue
            stats.add_many(table, keys, values)
            progress = Progress(table, keys[-1], stats)
            store.write(table, keys, values, progress)
            received += len(keys)
            if not still_wanted():
                raise Abandoned(version_id)
        # A table done: the next starts from its beginning.
        progress = Progress(table, None, stats)
    return received


def mismatch(stats: EntryStats, version: Version, tables: Sequence[str], every_table: bool) -> str:
    """Why the downloaded entries are not the version the server recorded ('' if they are).

    The digest covers every table of a version, so it is compared only when the
    replica holds them all; per-table counts always.
    """
    recorded = version.counts or {}
    expected = {table: recorded.get(table, 0) for table in tables}
    got = {table: stats.counts.get(table, 0) for table in tables}
    if got != expected:
        return f"version {version.id}: counts {got} differ from the server's {expected}"
    if every_table and version.digest is not None and stats.digest != version.digest:
        return (
            f"version {version.id}: digest {stats.digest} differs from the server's "
            f"{version.digest}"
        )
    return ""
