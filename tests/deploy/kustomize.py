"""Build kustomize from tools/kustomize (Go modules, cached by their inputs) and render with it.

.venv/bin/python -m tests.deploy.kustomize     # build if needed, print the binary's path
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = REPO_ROOT / "tools" / "kustomize"
PACKAGE = "sigs.k8s.io/kustomize/kustomize/v5"
BUILD_FLAGS = ("-mod=readonly", "-trimpath", "-buildvcs=false", "-ldflags=-s -w")


class KustomizeError(RuntimeError):
    """kustomize could not be built, or refused a kustomization."""


def cache_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "optimus" / "kustomize"


@cache
def binary() -> Path:
    """The kustomize that tools/kustomize/go.mod pins, built once per set of inputs."""
    target = cache_dir() / input_hash() / "kustomize"
    if os.access(target, os.X_OK):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent test runs share one build
        if not os.access(target, os.X_OK):
            with tempfile.TemporaryDirectory(dir=target.parent) as work:
                built = Path(work) / "kustomize"
                print("building kustomize (cold: about a minute)...", file=sys.stderr, flush=True)
                _go("build", *BUILD_FLAGS, "-o", str(built), PACKAGE)
                built.rename(target)
    return target


def input_hash() -> str:
    """Hash of what determines the binary: module files, toolchain, flags."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((SOURCE_DIR / name).read_bytes() + b"\0")
    digest.update(_go("env", "GOVERSION", "GOOS", "GOARCH").encode())
    digest.update(repr(BUILD_FLAGS).encode())
    return digest.hexdigest()[:16]


def build_text(kustomization_dir: Path) -> str:
    """`kustomize build DIR` as YAML text (the default load restrictor, as Flux and Argo CD)."""
    result = subprocess.run(
        [str(binary()), "build", str(kustomization_dir)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise KustomizeError(f"kustomize build {kustomization_dir}:\n{result.stderr}")
    return result.stdout


def render(kustomization_dir: Path) -> list[dict[str, Any]]:
    """The objects that `kustomize build DIR` renders."""
    return [doc for doc in yaml.safe_load_all(build_text(kustomization_dir)) if doc]


def _go(*args: str) -> str:
    env = {**os.environ, "CGO_ENABLED": "0", "GOWORK": "off"}
    result = subprocess.run(["go", *args], cwd=SOURCE_DIR, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise KustomizeError(f"go {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


if __name__ == "__main__":
    print(binary())
