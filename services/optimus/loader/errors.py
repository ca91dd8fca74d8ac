"""Why a load stops."""

from __future__ import annotations

from dataclasses import dataclass


class LoadFailed(Exception):
    """The load cannot go on; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """An input row that cannot be loaded, and where it is (a line, or a Parquet row number)."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class TooManyBadRows(LoadFailed):
    def __init__(self, bad_rows: list[BadRow], limit: int) -> None:
        super().__init__(
            f"{len(bad_rows)} bad rows, more than --max-bad-rows {limit}; nothing was saved"
        )
        self.bad_rows = bad_rows
        self.limit = limit
