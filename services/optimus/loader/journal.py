"""The journal of a load: its plan, then one line per batch the server acknowledged.

One JSON line per record, appended as acknowledgements arrive. Writes go
straight to the file (they survive a kill -9 of the loader); an fsync
follows in the background, covering every line written before it, so a
thousand acks a second cost a few fsyncs, not a thousand. A lost line only
means its batch is sent again, which changes nothing on the server. A torn
last line (a crash mid-write) is dropped when the journal is reopened.

Before asking for the save, the loader writes a `loaded` line with the
totals of the whole input and fsyncs it at once: a load resumed after that
point has nothing left to send but still knows what the version must hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from optimus.loader.errors import LoadFailed
from optimus.loader.plan import LoadPlan
from optimus.loader.writer import BatchRecord

FORMAT = 1


def default_journal_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "optimus" / "loads"


@dataclass(frozen=True, slots=True)
class JournalHeader:
    version_id: str
    base_url: str
    created_version: bool  # only then must the version hold exactly this input
    plan: LoadPlan


@dataclass(slots=True)
class Recovered:
    """What a journal holds when a load resumes."""

    header: JournalHeader
    batches: dict[str, BatchRecord] = field(default_factory=dict)
    loaded: BatchRecord | None = None  # the totals, once everything was acknowledged


def _record_json(kind: str, record: BatchRecord) -> bytes:
    return orjson.dumps({"kind": kind, **record.to_json()}) + b"\n"


class Journal:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._dirty = asyncio.Event()

    @staticmethod
    def path_of(directory: Path, version_id: str) -> Path:
        return directory / f"{version_id}.journal"

    @classmethod
    def create(cls, directory: Path, header: JournalHeader) -> Journal:
        directory.mkdir(parents=True, exist_ok=True)
        path = cls.path_of(directory, header.version_id)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except FileExistsError:
            raise LoadFailed(
                f"a journal of version {header.version_id} exists ({path}); "
                f"continue that load with: optimus load --resume {header.version_id}"
            ) from None
        body = {
            "kind": "plan",
            "format": FORMAT,
            "version_id": header.version_id,
            "base_url": header.base_url,
            "created_version": header.created_version,
            "plan": header.plan.to_json(),
        }
        os.write(fd, orjson.dumps(body) + b"\n")
        os.fsync(fd)
        _fsync_directory(directory)
        return cls(path, fd)

    @classmethod
    def reopen(cls, directory: Path, version_id: str) -> tuple[Journal, Recovered]:
        path = cls.path_of(directory, version_id)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise LoadFailed(
                f"no journal of version {version_id} in {directory} (see --journal-dir)"
            ) from None
        recovered, intact = _parse(path, content)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        if intact < len(content):
            os.truncate(fd, intact)  # drop a torn last line before appending after it
        return cls(path, fd), recovered

    def record(self, record: BatchRecord) -> None:
        os.write(self._fd, _record_json("batch", record))
        self._dirty.set()

    def record_loaded(self, totals: BatchRecord) -> None:
        os.write(self._fd, _record_json("loaded", totals))
        os.fsync(self._fd)

    @contextlib.asynccontextmanager
    async def syncing(self) -> AsyncIterator[None]:
        """fsync in the background while acknowledgements are recorded, and once at the end."""
        task = asyncio.create_task(self._sync_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            os.fsync(self._fd)

    async def _sync_forever(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await asyncio.to_thread(os.fsync, self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _parse(path: Path, content: bytes) -> tuple[Recovered, int]:
    """The records, and the length of the intact prefix.

    Only lines ended by a newline count: whatever follows the last newline
    is a torn write, dropped (its batch is sent again).
    """
    lines = content.split(b"\n")[:-1]
    recovered: Recovered | None = None
    for number, line in enumerate(lines, 1):
        try:
            body = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise LoadFailed(f"{path}:{number}: the journal is damaged") from None
        if recovered is None:
            if body.get("kind") != "plan" or body.get("format") != FORMAT:
                raise LoadFailed(f"{path} is not a load journal this loader can read")
            header = JournalHeader(
                body["version_id"],
                body["base_url"],
                body["created_version"],
                LoadPlan.from_json(body["plan"]),
            )
            recovered = Recovered(header)
        elif body["kind"] == "batch":
            recovered.batches[body["id"]] = BatchRecord.from_json(body)
        elif body["kind"] == "loaded":
            recovered.loaded = BatchRecord.from_json(body)
    if recovered is None:
        raise LoadFailed(f"{path} is empty")
    return recovered, sum(len(line) + 1 for line in lines)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
