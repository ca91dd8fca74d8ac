"""The embedded host's audit log: one JSON record a line in `<data-dir>/audit.jsonl`.

Appended with one write() before the request is answered (it survives a crash
of the server; an fsync per record would cost every load batch a disk flush).
Records stay on disk only: `after` reads the file, which is what `optimus audit
verify --data-dir` does too, with the server running or not.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from optimus.domain.audit import GENESIS, AuditEntry, AuditRecord, chained

FILE_NAME = "audit.jsonl"


def read_records(path: Path) -> list[AuditRecord]:
    """Every record of the file; a line that is not a record raises ValueError naming it."""
    if not path.exists():
        return []
    records = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                records.append(AuditRecord.from_dict(orjson.loads(line)))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"line {number} is not an audit record: {exc}") from None
    return records


class AuditFile:
    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / FILE_NAME
        existing = read_records(self._path)
        self._last = existing[-1] if existing else None
        self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    async def append(self, entry: AuditEntry) -> AuditRecord:
        # Single-threaded event loop and a synchronous write: appends cannot interleave.
        sequence = 1 if self._last is None else self._last.sequence + 1
        previous = GENESIS if self._last is None else self._last.hash
        record = chained(sequence, entry, previous)
        os.write(self._fd, orjson.dumps(record.as_dict()) + b"\n")
        self._last = record
        return record

    async def after(self, sequence: int, limit: int) -> list[AuditRecord]:
        return [r for r in read_records(self._path) if r.sequence > sequence][:limit]

    def close(self) -> None:
        os.close(self._fd)
