"""Online backups of an embedded data dir: a RocksDB checkpoint taken by the serving process.

Dataset aggregates and entries live in one RocksDB database, so one
checkpoint holds both at one instant: every acknowledged write (a checkpoint
of the open database includes what is still only in its write-ahead log),
and no version half-way through a command. A checkpoint hard-links the table
files when DEST is on the same filesystem, else copies them.

Only the process that has the database open can take a consistent one (a
read-only or secondary opening sees none of the write-ahead log), so a
running server takes backup requests on a Unix socket in its data dir,
which only local users with access to the data dir can reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import orjson
from rocksdict import Checkpoint, Rdict

from optimus.hosts.embedded.rocksdb import DataDirInUse, open_database

log = logging.getLogger(__name__)

DATABASE_DIR = "rocksdb"  # under a data dir
CONTROL_SOCKET = "control.sock"  # under a data dir, while a server runs


class BackupFailed(Exception):
    pass


def _destination(to: Path) -> Path:
    if to.exists() and any(to.iterdir()):
        raise BackupFailed(f"{to} exists and is not empty")
    to.mkdir(parents=True, exist_ok=True)
    return to / DATABASE_DIR


def checkpoint(db: Rdict, to: Path) -> Path:
    """A consistent copy of the open database `db` as the data dir `to`."""
    target = _destination(to)
    Checkpoint(db).create_checkpoint(str(target))
    return to


def back_up(data_dir: Path, to: Path, timeout_s: float = 3600) -> Path:
    """Back up `data_dir` into `to`: through its server if one runs, else directly."""
    if not (data_dir / DATABASE_DIR).is_dir():
        raise BackupFailed(f"{data_dir} is not an Optimus data dir")
    try:
        db = open_database(data_dir / DATABASE_DIR)
    except DataDirInUse:
        return asyncio.run(_ask_server(data_dir / CONTROL_SOCKET, to, timeout_s))
    try:
        return checkpoint(db, to)
    finally:
        db.close()


async def _ask_server(socket: Path, to: Path, timeout_s: float) -> Path:
    try:
        reader, writer = await asyncio.open_unix_connection(str(socket))
    except OSError as exc:
        message = f"the data dir is in use, but its server does not answer: {exc}"
        raise BackupFailed(message) from None
    try:
        request = {"command": "backup", "to": str(to.resolve())}
        writer.write(orjson.dumps(request) + b"\n")
        await writer.drain()
        answer = orjson.loads(await asyncio.wait_for(reader.readline(), timeout_s))
    finally:
        writer.close()
    if answer.get("status") != "OK":
        raise BackupFailed(answer.get("message", "the server could not take the backup"))
    return to


class BackupSocket:
    """Serves backup requests of `optimus backup` for the running server (BackgroundWork)."""

    def __init__(self, db: Rdict, data_dir: Path) -> None:
        self._db = db
        self._path = data_dir / CONTROL_SOCKET
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._path.unlink(missing_ok=True)  # left by a server that was killed
        self._server = await asyncio.start_unix_server(self._serve, str(self._path))
        self._path.chmod(0o600)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self._path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = orjson.loads(await reader.readline())
            to = Path(request["to"])
            await asyncio.to_thread(checkpoint, self._db, to)
            answer = {"status": "OK", "to": str(to)}
            log.warning("backup of the data dir taken into %s", to)
        except (BackupFailed, OSError, ValueError, KeyError, orjson.JSONDecodeError) as exc:
            answer = {"status": "error", "message": str(exc)}
        except Exception as exc:  # RocksDB's own errors: told to the caller, not swallowed
            log.exception("backup failed")
            answer = {"status": "error", "message": f"backup failed: {exc}"}
        with contextlib.suppress(OSError):
            writer.write(orjson.dumps(answer) + b"\n")
            await writer.drain()
            writer.close()
