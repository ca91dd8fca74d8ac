"""Shared by every benchmark: servers, a cheap HTTP client, dataset loading, wrk, figures.

Everything here runs on loopback only, and every loop is bounded in count or time.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"
TABLE = "t"
VALUE_BYTES = 100  # stored bytes of every value (a JSON string of 98 characters)
READY_TIMEOUT_S = 60.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------- figures
def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank: a value that was observed."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


# --------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon, RssFile, RssShmem and VmHWM of a process, in bytes."""
    wanted = {"VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"}
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in wanted:
                found[name] = int(rest.split()[0]) * 1024
    return found


@dataclass
class Server:
    """A server process on loopback that we started, and stop."""

    name: str
    command: list[str]
    port: int
    health_path: str
    data_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Server:
        self.log_path = Path(tempfile.mkstemp(prefix=f"bench-{self.name}-", suffix=".log")[1])
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO
            )
        _running.append(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.tail_log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + self.health_path, timeout=1.0).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT_S}s: {self.tail_log()}")

    def tail_log(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.pid).cpu_times()
        return times.user + times.system

    def memory(self) -> dict[str, int]:
        return proc_status(self.pid)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self in _running:
            _running.remove(self)
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
        self.process = None


_running: list[Server] = []


def stop_all() -> None:
    for server in list(_running):
        server.stop()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


# Servers are stopped on any exit: normal, an exception, Ctrl-C or SIGTERM.
atexit.register(stop_all)
signal.signal(signal.SIGTERM, _exit_on_sigterm)


def optimus_command() -> list[str]:
    """`optimus serve` of this checkout, or $BENCH_OPTIMUS_COMMAND (to A/B a change)."""
    override = os.environ.get("BENCH_OPTIMUS_COMMAND")
    return shlex.split(override) if override else [str(BIN / "optimus"), "serve"]


def optimus_server(data_dir: Path, port: int | None = None) -> Server:
    port = port or free_port()
    command = [
        *optimus_command(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warning",
    ]
    return Server("optimus", command, port, "/healthcheck", data_dir=data_dir)


def bare_server() -> Server:
    """The ceiling: a constant from a raw ASGI callable, under the settings of `optimus serve`."""
    port = free_port()
    command = [
        str(BIN / "python"),
        "-m",
        "uvicorn",
        "bare_asgi:app",
        "--app-dir",
        str(BENCH),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server("bare-asgi", command, port, "/healthcheck")


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class MemorySampler:
    """Samples /proc/PID/status in a thread; keeps the largest of each figure."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        self._pid = pid
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak: dict[str, int] = {}
        self.samples = 0

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                for name, value in proc_status(self._pid).items():
                    self.peak[name] = max(value, self.peak.get(name, 0))
                self.samples += 1
            self._stop.wait(self._interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# ----------------------------------------------------------------- HTTP client
def http_request(method: str, path: str, body: bytes = b"") -> bytes:
    """One pre-encoded HTTP/1.1 keep-alive request."""
    head = f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n"
    if body or method in {"POST", "PUT"}:
        head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    head: bytes = b""

    def header(self, name: str) -> str | None:
        match = re.search(rb"(?im)^" + name.encode() + rb":\s*([^\r\n]*)", self.head)
        return match.group(1).decode() if match else None


class Connection:
    """A minimal HTTP/1.1 client over one keep-alive connection: as cheap as a client gets.

    It sends pre-encoded requests and reads Content-Length delimited replies
    (what uvicorn sends for every response of these benchmarks).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        writer.transport.set_write_buffer_limits(high=1 << 22)
        return cls(reader, writer)

    async def send(self, request: bytes) -> Reply:
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        if match is None:
            raise RuntimeError(f"reply without content-length: {head[:200]!r}")
        body = await self._reader.readexactly(int(match.group(1)))
        return Reply(status, body, head)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


# ------------------------------------------------------------ control plane
class Api:
    """The few control-plane calls the benchmarks need (not timed, except publish)."""

    def __init__(self, server: Server) -> None:
        self._client = httpx.Client(base_url=server.url + "/v1", timeout=600.0)

    def _call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        reply = self._client.request(method, path, **kwargs)
        if reply.status_code != expect:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json()

    def create_dataset(self, name: str, versions_kept: int = 10) -> None:
        self._call(
            "POST",
            "/datasets",
            201,
            json={
                "name": name,
                "tables": [TABLE],
                "content-type": "application/json",
                "eviction-policy": {"type": "keep-last-x-versions", "versions": versions_kept},
            },
        )

    def create_version(self, dataset: str, label: str) -> str:
        return self._call("POST", "/versions", 202, json={"dataset": dataset, "label": label})["id"]

    def save(self, version_id: str) -> dict[str, Any]:
        reply = self._call("POST", f"/versions/{version_id}/save?wait=true", 200)
        if reply["version"]["status"] != "SAVED":
            raise RuntimeError(f"save of {version_id} ended {reply['version']['status']}")
        return reply["version"]

    def publish(self, version_id: str) -> None:
        self._call("POST", f"/versions/{version_id}/publish", 202)

    def read(self, dataset: str, key: str) -> httpx.Response:
        return self._client.get(f"/datasets/{dataset}/tables/{TABLE}/entries/{key}")

    def close(self) -> None:
        self._client.close()


# ------------------------------------------------------------------- datasets
def key_name(index: int) -> str:
    return f"k{index:08d}"


def value_of(index: int) -> str:
    """98 hex digits, so the stored JSON value is exactly VALUE_BYTES bytes.

    Pseudo-random, so that blocks compress as real values would (about 2:1),
    not as a run of one letter would.
    """
    return blake2b(index.to_bytes(8, "big"), digest_size=(VALUE_BYTES - 2) // 2).hexdigest()


class Scatter:
    """A cheap permutation of range(n), so that batches carry keys in random order."""

    def __init__(self, n: int, seed: int = 12345) -> None:
        multiplier = 2654435761
        while _gcd(multiplier, n) != 1:
            multiplier += 2
        self._n = n
        self._multiplier = multiplier
        self._offset = seed % n

    def __call__(self, j: int) -> int:
        return (j * self._multiplier + self._offset) % self._n


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def batch_indices(n: int, batch: int, scatter: Scatter, number: int) -> list[int]:
    start = number * batch
    return [scatter(j) for j in range(start, min(start + batch, n))]


def batch_body(indices: Sequence[int]) -> bytes:
    return orjson.dumps([{"key": key_name(i), "value": value_of(i)} for i in indices])


def batch_entries(indices: Sequence[int]) -> list[tuple[str, str, bytes]]:
    """The same batch as the store receives it: (table, key, stored value bytes)."""
    return [(TABLE, key_name(i), orjson.dumps(value_of(i))) for i in indices]


def load_path(dataset: str, version_id: str) -> str:
    return f"/v1/datasets/{dataset}/tables/{TABLE}/entries?version-id={version_id}"


@dataclass
class LoadResult:
    entries: int
    batches: int
    seconds: float
    client_cpu_s: float
    server_cpu_s: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.entries / self.seconds


async def post_batches(
    port: int,
    requests: Sequence[bytes] | Callable[[int], bytes],
    count: int,
    batch: int,
    connections: int,
) -> tuple[float, list[str]]:
    """POST `count` batches over `connections` keep-alive connections; returns (seconds, errors).

    `requests` is either every request pre-encoded, or a function making request i.
    """
    conns = [await Connection.open(port) for _ in range(connections)]
    next_index = 0
    failures: list[str] = []

    async def worker(conn: Connection) -> None:
        nonlocal next_index
        while next_index < count and len(failures) < 10:
            index = next_index
            next_index += 1
            request = requests(index) if callable(requests) else requests[index]
            reply = await conn.send(request)
            if reply.status != 201:
                failures.append(f"{reply.status} {reply.body[:300]!r}")

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(conn) for conn in conns))
    finally:
        elapsed = time.perf_counter() - started
        for conn in conns:
            await conn.close()
    return elapsed, failures


def load_dataset(
    server: Server,
    api: Api,
    dataset: str,
    n: int,
    *,
    label: str,
    batch: int = 1000,
    connections: int = 4,
    publish: bool = True,
) -> dict[str, float]:
    """Create a version of `n` random-order keys through the REST API, save and publish it."""
    version_id = api.create_version(dataset, label)
    scatter = Scatter(n)
    path = load_path(dataset, version_id)
    count = (n + batch - 1) // batch

    def request(number: int) -> bytes:
        return http_request("POST", path, batch_body(batch_indices(n, batch, scatter, number)))

    with MemorySampler(server.pid) as memory:
        posting = post_batches(server.port, request, count, batch, connections)
        seconds, failures = asyncio.run(posting)
        if failures:
            raise RuntimeError(f"loading {dataset}: {failures[:3]}")
        started = time.perf_counter()
        saved = api.save(version_id)
        save_s = time.perf_counter() - started
    if saved["entries"] != n:
        raise RuntimeError(f"{dataset}: saved {saved['entries']} entries, expected {n}")
    if publish:
        api.publish(version_id)
    log(
        f"{dataset}: {n:,} entries loaded in {seconds:.1f}s ({n / seconds:,.0f}/s), "
        f"saved in {save_s:.1f}s, peak RSS {memory.peak.get('VmRSS', 0) / 2**20:.0f} MiB"
    )
    return {
        "version_id": version_id,  # type: ignore[dict-item]
        "entries": n,
        "load_s": seconds,
        "save_s": save_s,
        "peak_rss_bytes": memory.peak.get("VmRSS", 0),
    }


# ------------------------------------------------------------------------- CPU
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


QUIET_BELOW_PCT = 15.0
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
        servers0 = sum(s.cpu_seconds() for s in _running)
        time.sleep(0.5)
        servers = sum(s.cpu_seconds() for s in _running) - servers0
        others = _busy_seconds() - busy0 - (sum(_own_seconds()) - own0) - servers
        share = max(0.0, 100 * others / (0.5 * (os.cpu_count() or 1)))
        if share < QUIET_BELOW_PCT or time.monotonic() >= deadline:
            _quiet_budget_s[0] = max(0.0, _quiet_budget_s[0] - (time.monotonic() - started))
            return share


# ------------------------------------------------------------------------- wrk
WRK = shutil.which("wrk") or "wrk"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_us: float = 0.0
    client_cpu_us: float = 0.0
    others_cpu_pct: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "errors": self.errors,
            "server_cpu_us_per_request": round(self.server_cpu_us, 1),
            "wrk_cpu_us_per_request": round(self.client_cpu_us, 1),
            "others_cpu_pct": round(self.others_cpu_pct, 1),
        }


def _latency_ms(text: str, label: str) -> float:
    match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no {label}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(text: str) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if done is None or rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{text}")
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if sockets:
        errors += sum(int(g) for g in sockets.groups())
    return WrkResult(
        requests=int(done.group(1)),
        seconds=float(done.group(2)) * _UNITS[done.group(3)] / 1e3,
        rps=float(rps.group(1)),
        p50_ms=_latency_ms(text, "50"),
        p99_ms=_latency_ms(text, "99"),
        errors=errors,
    )


def run_wrk(
    server: Server,
    path: str,
    script: Path,
    args: Sequence[str],
    *,
    duration_s: float,
    threads: int = 2,
    connections: int = 32,
) -> WrkResult:
    """wrk against `server`, with the server's CPU time per request measured around it."""
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",  # wrk takes whole seconds
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(script),
        server.url + path,
        "--",
        *args,
    ]
    with CpuMeter(server) as cpu:
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}")
    result = parse_wrk(done.stdout)
    requests = max(result.requests, 1)
    result.server_cpu_us = cpu.server_s / requests * 1e6
    result.client_cpu_us = cpu.children_s / requests * 1e6
    result.others_cpu_pct = cpu.others_pct
    return result


NOISY_PCT = 25.0


def quiet_rounds(others_pct: Sequence[float]) -> list[int]:
    """Rounds during which other processes used < 25% of the machine; all if there is none.

    The quoted medians are over these rounds; every run is kept in the results.
    """
    quiet = [i for i, pct in enumerate(others_pct) if pct < NOISY_PCT]
    return quiet or list(range(len(others_pct)))


def summarize(all_runs: Sequence[WrkResult], rounds: Sequence[int]) -> dict[str, Any]:
    """Medians over the runs of `rounds`, and every run."""
    runs = [all_runs[i] for i in rounds]
    return {
        "rounds_quoted": len(runs),
        "rps": round(median([r.rps for r in runs]), 1),
        "p50_ms": round(median([r.p50_ms for r in runs]), 3),
        "p99_ms": round(median([r.p99_ms for r in runs]), 3),
        "server_cpu_us_per_request": round(median([r.server_cpu_us for r in runs]), 1),
        "others_cpu_pct": round(median([r.others_cpu_pct for r in runs]), 1),
        "errors": sum(r.errors for r in all_runs),
        "runs": [r.as_dict() for r in all_runs],
    }


# -------------------------------------------------------------------- reports
def machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty_paths": len(git("status", "--porcelain", "--untracked-files=no").splitlines()),
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def mib(value: float) -> float:
    return round(value / 2**20, 1)
