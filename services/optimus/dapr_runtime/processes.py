"""Child processes in their own process groups, with log files, and readiness waits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"


class StartupError(RuntimeError):
    """A process exited or did not become healthy in time."""


class ManagedProcess:
    """One child process; its stdout and stderr go to ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- start: {' '.join(self.argv)}\n".encode())
            log.flush()
            # A new session makes the child a process group leader, so stop() also
            # reaches whatever it spawned (uvicorn workers, shells).
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )

    def exit_code(self) -> int | None:
        """None while running (or never started), else the exit status."""
        return self._popen.poll() if self._popen else None

    def is_running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL it if it lingers; returns once the whole
        group is gone (a server's children may exit after it, e.g. PostgreSQL's backends)."""
        if self._popen is None:
            return
        group = self._popen.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            try:
                self._popen.wait(timeout=timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        self._popen.wait()
        self._popen = None
        killed_at = time.monotonic() + timeout
        while _group_alive(group) and time.monotonic() < killed_at + timeout:
            if time.monotonic() > killed_at:
                os.killpg(group, signal.SIGKILL)  # bounded: a zombie nobody reaps stays listed
            time.sleep(0.02)

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_bytes()[-256 * 1024 :].decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports that are free right now (held open together so they differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            # trust_env=False: a proxy configured for the outside must not see loopback calls.
            with httpx.Client(trust_env=False, timeout=2.0) as client:
                return client.get(url).is_success
        except httpx.HTTPError:
            return False

    return check


def grpc_serving(port: int) -> Callable[[], bool]:
    """True once the gRPC server on ``port`` reports SERVING (grpc.health.v1)."""

    def check() -> bool:
        import grpc  # here: only apps with a gRPC app channel need it
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        with grpc.insecure_channel(f"{LOOPBACK}:{port}") as channel:
            try:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=2.0
                )
            except grpc.RpcError:
                return False
        return answer.status == health_pb2.HealthCheckResponse.SERVING

    return check


def redis_pong(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=2.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    return check


def wait_until(
    check: Callable[[], bool],
    what: str,
    processes: Iterable[ManagedProcess],
    timeout: float = 60.0,
) -> None:
    """Poll ``check`` until it passes; fail fast with log tails if a process dies."""
    processes = list(processes)
    deadline = time.monotonic() + timeout
    while not check():
        dead = [p for p in processes if not p.is_running()]
        if dead or time.monotonic() > deadline:
            reason = f"{', '.join(p.name for p in dead)} exited" if dead else f"{timeout:.0f}s"
            raise StartupError(f"{what} not ready ({reason})\n" + format_tails(processes))
        time.sleep(0.1)


def format_tails(processes: Iterable[ManagedProcess], lines: int = 40) -> str:
    return "\n".join(
        f"----- {p.name} (pid {p.pid}, exit {p.exit_code()}) {p.log_path} -----\n{p.tail(lines)}"
        for p in processes
    )


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
