"""Find or build the Dapr runtime binaries (daprd, placement, scheduler).

Resolution order:
1. ``OPTIMUS_DAPR_BIN_DIR`` (e.g. ``~/.dapr/bin`` after ``dapr init --slim``);
2. a build of ``tools/dapr`` (Dapr's own Go modules), cached by a hash of its inputs;
3. ``~/.dapr/bin`` when Go is not installed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NAMES = ("daprd", "placement", "scheduler")
BIN_DIR_ENV = "OPTIMUS_DAPR_BIN_DIR"
CACHE_DIR_ENV = "OPTIMUS_DAPR_CACHE_DIR"
REPO_ROOT = Path(__file__).resolve().parents[3]
SOURCE_DIR = REPO_ROOT / "tools" / "dapr"
DAPR_INIT_BIN_DIR = Path.home() / ".dapr" / "bin"

_DAPR_REQUIREMENT = re.compile(r"^\s*github\.com/dapr/dapr v(\S+)", re.MULTILINE)
# dapr's cmd/daprd/app imports cmd/daprd/components, whose zz_notag.go panics unless
# the allcomponents/stablecomponents tags are set. We register our own components
# (tools/dapr/cmd/daprd/components.go), so the build neuters that one file in a
# throwaway copy of the verified module; nothing of Dapr's is committed.
_NOTAG_FILE = Path("cmd/daprd/components/zz_notag.go")


class DaprBinariesError(RuntimeError):
    """The Dapr binaries could neither be found nor built."""


@dataclass(frozen=True)
class DaprBinaries:
    bin_dir: Path

    @property
    def daprd(self) -> Path:
        return self.bin_dir / "daprd"

    @property
    def placement(self) -> Path:
        return self.bin_dir / "placement"

    @property
    def scheduler(self) -> Path:
        return self.bin_dir / "scheduler"

    def is_complete(self) -> bool:
        return all(os.access(self.bin_dir / name, os.X_OK) for name in NAMES)


def resolve_binaries() -> DaprBinaries:
    """The binaries to run, building them from tools/dapr when needed."""
    override = os.environ.get(BIN_DIR_ENV)
    if override:
        binaries = DaprBinaries(Path(override).expanduser())
        if not binaries.is_complete():
            raise DaprBinariesError(f"{BIN_DIR_ENV}={override} lacks one of {', '.join(NAMES)}")
        return binaries
    if shutil.which("go") is None:
        installed = DaprBinaries(DAPR_INIT_BIN_DIR)
        if installed.is_complete():
            return installed
        raise DaprBinariesError(
            f"Go is not installed and {DAPR_INIT_BIN_DIR} is incomplete: install Go to build "
            f"the sidecar, or set {BIN_DIR_ENV} to a directory holding {', '.join(NAMES)}"
        )
    return build()


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "optimus" / "dapr"


def build(source_dir: Path = SOURCE_DIR, cache_dir: Path | None = None) -> DaprBinaries:
    """Build the binaries into ``<cache>/<hash of inputs>/bin`` unless already there."""
    cache_dir = cache_dir or default_cache_dir()
    key = input_hash(source_dir)
    binaries = DaprBinaries(cache_dir / key / "bin")
    if binaries.is_complete():
        return binaries
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(cache_dir / f"{key}.lock"):
        # Another process (a second test run) may have built it while we waited.
        if binaries.is_complete():
            return binaries
        with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f"{key}.build-") as work:
            built = _go_build(source_dir, Path(work))
            binaries.bin_dir.parent.mkdir(exist_ok=True)
            built.rename(binaries.bin_dir)
    return binaries


def dapr_version(source_dir: Path = SOURCE_DIR) -> str:
    """The dapr/dapr release that tools/dapr/go.mod pins, e.g. ``1.18.3``."""
    found = _DAPR_REQUIREMENT.search((source_dir / "go.mod").read_text())
    if found is None:
        raise DaprBinariesError(f"{source_dir / 'go.mod'} does not require github.com/dapr/dapr")
    return found.group(1)


def _build_flags(source_dir: Path) -> list[str]:
    ldflags = f"-s -w -X github.com/dapr/dapr/pkg/buildinfo.version={dapr_version(source_dir)}"
    return ["-mod=readonly", "-trimpath", "-buildvcs=false", f"-ldflags={ldflags}"]


def input_hash(source_dir: Path) -> str:
    """Hash of everything that determines the binaries: sources, module files, toolchain."""
    digest = hashlib.sha256()
    inputs = [source_dir / "go.mod", source_dir / "go.sum", *sorted(source_dir.rglob("*.go"))]
    for path in inputs:
        digest.update(path.relative_to(source_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    toolchain = _go(source_dir, "env", "GOVERSION", "GOOS", "GOARCH")
    # Changing how we build must invalidate old binaries too.
    digest.update(toolchain.encode() + repr(_build_flags(source_dir)).encode())
    return digest.hexdigest()[:16]


def _go_build(source_dir: Path, work: Path) -> Path:
    print(
        f"building Dapr {dapr_version(source_dir)} sidecar binaries (cold: minutes)...",
        file=sys.stderr,
        flush=True,
    )
    module = json.loads(_go(source_dir, "mod", "download", "-json", "github.com/dapr/dapr"))
    dapr_src = work / "dapr"
    shutil.copytree(module["Dir"], dapr_src)
    for path in [dapr_src, *dapr_src.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (dapr_src / _NOTAG_FILE).write_text("package components\n")

    modfile = work / "go.mod"  # go also reads the go.sum beside it
    modfile.write_text(
        (source_dir / "go.mod").read_text() + f"\nreplace github.com/dapr/dapr => {dapr_src}\n"
    )
    shutil.copyfile(source_dir / "go.sum", work / "go.sum")
    bin_dir = work / "bin"
    packages = [f"./cmd/{name}" for name in NAMES]
    _go(
        source_dir,
        "build",
        f"-modfile={modfile}",
        *_build_flags(source_dir),
        "-o",
        f"{bin_dir}/",
        *packages,
        capture=False,
    )
    return bin_dir


def _go(cwd: Path, *args: str, capture: bool = True) -> str:
    """Run go; with capture=False its output streams to stderr (downloads, errors)."""
    env = {**os.environ, "CGO_ENABLED": "0", "GOWORK": "off"}
    streams = (
        {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        if capture
        else {"stdout": sys.__stderr__.fileno()}
    )
    result = subprocess.run(["go", *args], cwd=cwd, env=env, text=True, **streams)
    if result.returncode != 0:
        raise DaprBinariesError(
            f"go {' '.join(args)} failed (exit {result.returncode}):\n"
            f"{result.stdout or ''}{result.stderr or ''}"
        )
    return result.stdout or ""


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
