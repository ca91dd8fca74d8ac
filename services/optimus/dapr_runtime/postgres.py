"""A private PostgreSQL server on loopback for the postgres component set.

Debian's PostgreSQL packages put the server binaries in
``/usr/lib/postgresql/<major>/bin``, off the PATH. The server refuses to run as
root, so as root both ``initdb`` and ``postgres`` run as the ``postgres`` system
user, on a data dir that user owns. Authentication is ``trust`` on 127.0.0.1
only: the server is as private as the run's other processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from .processes import LOOPBACK

BIN_DIR_ENV = "OPTIMUS_POSTGRES_BIN_DIR"
DEBIAN_BIN_DIRS = Path("/usr/lib/postgresql")
SYSTEM_USER = "postgres"  # Debian's packages create it; the server runs as it under root
SUPERUSER = "optimus"
DATABASE = "postgres"  # initdb's own database: nothing to create


def bin_dir() -> Path:
    """Where ``initdb`` and ``postgres`` are: the override, the PATH, or Debian's newest."""
    override = os.environ.get(BIN_DIR_ENV)
    if override:
        return Path(override).expanduser()
    on_path = shutil.which("initdb")
    if on_path is not None:  # may be a link to Debian's dir, which also holds pg_isready
        return Path(on_path).resolve().parent
    candidates = sorted(DEBIAN_BIN_DIRS.glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        raise FileNotFoundError(
            "PostgreSQL server binaries not found: apt-get install -y postgresql "
            f"(or set {BIN_DIR_ENV} to the directory holding initdb and postgres)"
        )
    return candidates[-1].parent


def as_server_user(argv: Sequence[object]) -> list[str]:
    """``argv`` run as the postgres system user when we are root, as we are otherwise."""
    command = [str(arg) for arg in argv]
    return ["runuser", "-u", SYSTEM_USER, "--", *command] if os.geteuid() == 0 else command


def new_data_dir(run_dir: Path) -> Path:
    """An empty dir the server's user owns and can reach.

    As root the run dir may sit under a private parent (pytest's tmp dirs are 0700),
    so the data dir goes to a fresh dir under the system temp dir instead.
    """
    if os.geteuid() != 0:
        data_dir = run_dir / "postgres"
        data_dir.mkdir(parents=True, exist_ok=True)
        return data_dir
    data_dir = Path(tempfile.mkdtemp(prefix="optimus-postgres-"))
    shutil.chown(data_dir, SYSTEM_USER, SYSTEM_USER)
    return data_dir


def remove_data_dir(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)


def initdb(data_dir: Path) -> None:
    argv = [
        bin_dir() / "initdb", "--pgdata", data_dir, "--username", SUPERUSER,
        "--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-instructions",
    ]  # fmt: skip
    result = subprocess.run(as_server_user(argv), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed (exit {result.returncode}):\n{result.stderr}")


def server_argv(data_dir: Path, port: int) -> list[str]:
    """``postgres`` on 127.0.0.1:port, its socket in the data dir, logging to stderr."""
    return as_server_user(
        [
            bin_dir() / "postgres", "-D", data_dir, "-p", port, "-h", LOOPBACK, "-k", data_dir,
            # Each daprd keeps a pool per component; leave room for many replicas.
            "-c", "max_connections=300",
        ]
    )  # fmt: skip


def connection_url(port: int) -> str:
    return f"postgres://{SUPERUSER}@{LOOPBACK}:{port}/{DATABASE}?sslmode=disable"


def accepts_connections(port: int) -> Callable[[], bool]:
    """The server answers a startup packet (not just a TCP accept) on 127.0.0.1:port."""
    argv = [
        bin_dir() / "pg_isready", "-h", LOOPBACK, "-p", str(port), "-U", SUPERUSER, "-d", DATABASE,
    ]  # fmt: skip

    def check() -> bool:
        return subprocess.run(argv, capture_output=True).returncode == 0

    return check
