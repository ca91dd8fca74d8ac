"""Input files of a load: which files, in which format, into which table.

A source argument is a path or a glob, optionally prefixed with the table
its rows go to: `items=data/items-*.parquet`. The prefix is a table name
only if it has no `/` (so `./date=2024/part.parquet` is a plain path).
Sources are expanded once, when the load starts, and recorded with their
size and modification time in the journal: a resumed load refuses input
that changed, because batch ids are positions in these exact files.
"""

from __future__ import annotations

import glob
import os
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from optimus.domain.names import is_valid_key
from optimus.loader.errors import LoadFailed


class Format(StrEnum):
    CSV = "csv"
    TSV = "tsv"
    JSONL = "jsonl"
    PARQUET = "parquet"


_BY_SUFFIX = {
    ".csv": Format.CSV,
    ".tsv": Format.TSV,
    ".tab": Format.TSV,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
}


@dataclass(frozen=True, slots=True)
class Source:
    path: str  # absolute
    format: Format
    table: str | None  # the table of every row, or None to read it from a column
    size: int
    mtime_ns: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Source:
        return cls(**{**body, "format": Format(body["format"])})

    def changed(self) -> str | None:
        """Why the file on disk is no longer this source, or None if it is the same."""
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            return f"{self.path} cannot be read: {exc.strerror}"
        if (stat.st_size, stat.st_mtime_ns) != (self.size, self.mtime_ns):
            return f"{self.path} changed since the load began"
        return None


def format_of(path: str, chosen: Format | None) -> Format:
    if chosen is not None:
        return chosen
    found = _BY_SUFFIX.get(Path(path).suffix.lower())
    if found is None:
        known = ", ".join(sorted(_BY_SUFFIX))
        raise LoadFailed(f"{path}: unknown format (suffixes {known}); choose one with --format")
    return found


def _split_table(argument: str) -> tuple[str | None, str]:
    prefix, sep, rest = argument.partition("=")
    if sep and "/" not in prefix and is_valid_key(prefix):
        return prefix, rest
    return None, argument


def expand_sources(
    arguments: list[str], *, table: str | None, chosen_format: Format | None
) -> list[Source]:
    """The files named by `arguments` (paths or globs), in argument order then name order."""
    sources: list[Source] = []
    seen: set[str] = set()
    for argument in arguments:
        file_table, pattern = _split_table(argument)
        paths = sorted(glob.glob(os.path.expanduser(pattern))) or [pattern]
        for path in paths:
            absolute = os.path.abspath(path)
            if absolute in seen:
                continue
            seen.add(absolute)
            try:
                stat = os.stat(absolute)
            except OSError as exc:
                raise LoadFailed(f"{path}: {exc.strerror}") from None
            sources.append(
                Source(
                    absolute,
                    format_of(absolute, chosen_format),
                    file_table or table,
                    stat.st_size,
                    stat.st_mtime_ns,
                )
            )
    if not sources:
        raise LoadFailed("no input files")
    return sources
