"""CPU and memory meters, and the wait for a quiet machine before a timed run."""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time

import psutil

from harness.processes import Server, proc_status, running

QUIET_BELOW_PCT = 15.0


def _busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _own_seconds() -> tuple[float, float]:
    """CPU time of this process and of its waited-for children (wrk)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


class CpuMeter:
    """CPU used during a block: by the server, by this process, by wrk, and by everyone else.

    This machine is shared and noisy: `others_pct` (share of all cores used by
    processes that are not part of the benchmark) says how much to trust a run.
    """

    def __init__(self, server: Server | None = None) -> None:
        self._server = server
        self.server_s = self.client_s = self.children_s = self.others_pct = 0.0

    def _server_seconds(self) -> float:
        return self._server.cpu_seconds() if self._server is not None else 0.0

    def __enter__(self) -> CpuMeter:
        self._start = (time.perf_counter(), _busy_seconds(), self._server_seconds())
        self._own = _own_seconds()
        return self

    def __exit__(self, *_: object) -> None:
        wall0, busy0, server0 = self._start
        wall = time.perf_counter() - wall0
        busy = _busy_seconds() - busy0
        self.server_s = self._server_seconds() - server0
        me, kids = _own_seconds()
        self.client_s = me - self._own[0]
        self.children_s = kids - self._own[1]
        others = busy - self.server_s - self.client_s - self.children_s
        self.others_pct = max(0.0, 100 * others / (wall * (os.cpu_count() or 1)))


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, for the log lines at a run's start and end."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


_quiet_budget_s = [120.0]  # total waiting allowed in one process


def wait_for_quiet(max_wait_s: float = 15.0) -> float:
    """Wait (bounded) until other processes use < 15% of the machine; returns that share.

    Other people's builds and tests share this machine; a measurement taken while
    they run is flagged by its others_cpu_pct, and this lowers the odds of one.
    """
    deadline = time.monotonic() + min(max_wait_s, _quiet_budget_s[0])
    started = time.monotonic()
    while True:
        busy0, own0 = _busy_seconds(), sum(_own_seconds())
        servers0 = sum(s.cpu_seconds() for s in running())
        time.sleep(0.5)
        servers = sum(s.cpu_seconds() for s in running()) - servers0
        others = _busy_seconds() - busy0 - (sum(_own_seconds()) - own0) - servers
        share = max(0.0, 100 * others / (0.5 * (os.cpu_count() or 1)))
        if share < QUIET_BELOW_PCT or time.monotonic() >= deadline:
            _quiet_budget_s[0] = max(0.0, _quiet_budget_s[0] - (time.monotonic() - started))
            return share


class MemorySampler:
    """Samples /proc/PID/status in a thread; keeps the largest of each figure."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        self._pid = pid
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak: dict[str, int] = {}

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                for name, value in proc_status(self._pid).items():
                    self.peak[name] = max(value, self.peak.get(name, 0))
            self._stop.wait(self._interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
