"""Progress of a load: a live bar on a terminal, plain log lines otherwise.

Progress is measured in input bytes (a Parquet batch weighs its share of
the file), so the ETA holds for text files whose row count is unknown
until they are read; rows and rows/s are counted as batches are
acknowledged.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class LoadProgress(Protocol):
    def start(self, total_weight: float) -> None: ...

    def advance(self, rows: int, weight: float, *, sent: bool) -> None:
        """A batch is done: acknowledged (`sent`) or found in the journal of a resumed load."""

    def note(self, message: str) -> None:
        """A line for the user (stages, retries), printed without breaking the bar."""

    def stop(self) -> None: ...


class _Rate:
    """Rows/s and the ETA of what this run sends (batches from the journal are excluded)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.rows = 0
        self.sent_weight = 0.0
        self.done_weight = 0.0
        self.total_weight = 0.0

    def advance(self, rows: int, weight: float, sent: bool) -> None:
        self.done_weight += weight
        if sent:
            self.rows += rows
            self.sent_weight += weight

    @property
    def elapsed(self) -> float:
        return max(1e-9, time.monotonic() - self.started)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.elapsed

    @property
    def eta(self) -> float | None:
        if self.sent_weight <= 0:
            return None
        remaining = max(0.0, self.total_weight - self.done_weight)
        return remaining * self.elapsed / self.sent_weight


class BarProgress:
    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._rate = _Rate()
        self._bar = Progress(
            TextColumn("loading"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:>12,} rows  {task.fields[rate]:>9,.0f} rows/s"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=self._console,
            refresh_per_second=4,
        )
        self._task: TaskID | None = None

    def start(self, total_weight: float) -> None:
        self._rate = _Rate()
        self._rate.total_weight = total_weight
        self._bar.start()
        self._task = self._bar.add_task("load", total=total_weight, rows=0, rate=0.0)

    def advance(self, rows: int, weight: float, *, sent: bool) -> None:
        self._rate.advance(rows, weight, sent)
        if self._task is not None:
            self._bar.update(
                self._task,
                advance=weight,
                rows=self._rate.rows,
                rate=self._rate.rows_per_second,
            )

    def note(self, message: str) -> None:
        self._console.print(message, markup=False, highlight=False)

    def stop(self) -> None:
        self._bar.stop()


class LogProgress:
    def __init__(self, stream: TextIO | None = None, every: float = 5.0) -> None:
        self._stream = stream or sys.stderr
        self._every = every
        self._rate = _Rate()
        self._last: float | None = None

    def start(self, total_weight: float) -> None:
        self._rate = _Rate()
        self._rate.total_weight = total_weight
        self._last = time.monotonic()

    def advance(self, rows: int, weight: float, *, sent: bool) -> None:
        self._rate.advance(rows, weight, sent)
        now = time.monotonic()
        if self._last is not None and now - self._last >= self._every:
            self._last = now
            self._report()

    def _report(self) -> None:
        rate = self._rate
        share = rate.done_weight / rate.total_weight if rate.total_weight else 1.0
        eta = rate.eta
        left = str(timedelta(seconds=round(eta))) if eta is not None else "?"
        self.note(
            f"loaded {rate.rows:,} rows ({share:.0%}, {rate.rows_per_second:,.0f} rows/s, "
            f"ETA {left})"
        )

    def note(self, message: str) -> None:
        print(message, file=self._stream, flush=True)

    def stop(self) -> None:
        if self._last is not None:
            self._report()
            self._last = None


def progress_for(mode: str) -> LoadProgress:
    """`bar`, `log`, or `auto`: a bar when stderr is a terminal."""
    if mode == "bar" or (mode == "auto" and sys.stderr.isatty()):
        return BarProgress()
    return LogProgress()
