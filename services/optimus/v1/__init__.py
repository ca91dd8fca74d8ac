"""The gRPC API's messages and service stubs, generated from `optimus.proto` by grpcio-tools.

Nothing generated is committed: on first import, `protoc` (from grpcio-tools)
writes `optimus_pb2.py`, `optimus_pb2.pyi` and `optimus_pb2_grpc.py` into a
cache directory named by a hash of the .proto and of grpcio-tools' version,
and that directory joins this package's path, so `from optimus.v1 import
optimus_pb2` finds them. Later imports (any process, any checkout with the
same .proto) reuse the files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib import metadata, resources
from pathlib import Path

PROTO = Path(__file__).with_name("optimus.proto")
CACHE_DIR_ENV = "OPTIMUS_GRPC_CACHE_DIR"
_GENERATED = ("optimus_pb2.py", "optimus_pb2.pyi", "optimus_pb2_grpc.py")


def _cache_dir() -> Path:
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "optimus" / "grpc"


def _generate(target: Path) -> None:
    from grpc_tools import protoc

    # protoc names modules by the path under the include root: optimus/v1/optimus_pb2.
    include_root = PROTO.parents[2]
    well_known = resources.files("grpc_tools") / "_proto"
    target.parent.mkdir(parents=True, exist_ok=True)
    # Generated beside the target, then renamed: concurrent first imports don't see halves.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f"{target.name}.") as work:
        status = protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{include_root}",
                f"-I{well_known}",
                f"--python_out={work}",
                f"--pyi_out={work}",
                f"--grpc_python_out={work}",
                str(PROTO.relative_to(include_root)),
            ]
        )
        if status != 0:
            raise RuntimeError(f"protoc failed on {PROTO} (exit status {status})")
        try:
            os.rename(Path(work) / "optimus" / "v1", target)
        except OSError:  # another process got there first
            if not target.is_dir():
                raise


def generated_dir() -> Path:
    """Where the generated modules of this .proto are, generating them if need be."""
    digest = hashlib.sha256(PROTO.read_bytes())
    digest.update(metadata.version("grpcio-tools").encode())
    target = _cache_dir() / digest.hexdigest()[:16]
    if not all((target / name).is_file() for name in _GENERATED):
        _generate(target)
    return target


__path__.append(str(generated_dir()))
