"""Servers the benchmarks start on loopback (a free port, a temp data dir) and always stop."""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from harness.paths import BENCH, BIN, REPO

READY_TIMEOUT_S = 60.0


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


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds the process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


@dataclass
class Server:
    """A server process on loopback that we started, and stop."""

    name: str
    command: list[str]
    port: int
    health_path: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The REST API's root, as the client SDK takes it."""
        return self.url + "/v1"

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
        return cpu_seconds(self.pid)

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


def running() -> list[Server]:
    """The servers started and not stopped yet (their CPU is the benchmark's, not noise)."""
    return list(_running)


def stop_all() -> None:
    for server in running():
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


def optimus_server(data_dir: Path) -> Server:
    """The embedded host, `optimus serve`, on a data dir of its own."""
    port = free_port()
    command = [
        *optimus_command(),
        "--host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(data_dir), "--log-level", "warning",
    ]  # fmt: skip
    return Server("optimus", command, port, "/healthcheck")


def bare_server() -> Server:
    """The ceiling: a constant from a raw ASGI callable, under the settings of `optimus serve`."""
    port = free_port()
    command = [
        str(BIN / "python"), "-m", "uvicorn", "bare_asgi:app", "--app-dir", str(BENCH),
        "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return Server("bare-asgi", command, port, "/healthcheck")


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
