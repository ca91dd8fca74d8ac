"""An `optimus serve` process for tests: real HTTP, real disk, killable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.ports import free_port
from tests.support.waiting import answers_200


class OptimusServer:
    def __init__(self, data_dir: Path, *extra_args: str) -> None:
        self.data_dir = data_dir
        self.extra_args = extra_args
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self, timeout: float = 30.0, *, same_port: bool = False) -> OptimusServer:
        """Start the server; `same_port` restarts it where clients already point."""
        self.port = self.port if same_port and self.port else free_port()
        command = [
            sys.executable, "-m", "optimus", "serve",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            "--log-level", "warning",
            *self.extra_args,
        ]  # fmt: skip
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"optimus serve exited:\n{self.log_tail()}")
            if answers_200(f"{self.url}/healthcheck", timeout=1):
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"optimus serve did not become healthy:\n{self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Stop at once, as a crash would (SIGKILL by default)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
