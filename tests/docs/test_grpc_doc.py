"""docs/grpc.md's first Python snippet works when pasted, after the README's walkthrough."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.docs.test_readme import REPO, block
from tests.support.ports import free_port
from tests.support.server import OptimusServer

GRPC_DOC = (REPO / "docs" / "grpc.md").read_text()


def test_the_python_snippet_reads_the_walkthrough_over_grpc(tmp_path: Path) -> None:
    grpc_port = free_port()
    server = OptimusServer(tmp_path / "data", "--grpc-port", str(grpc_port)).start()
    try:
        walkthrough = block("A walkthrough with curl", "bash").replace(
            "localhost:8888", f"127.0.0.1:{server.port}"
        )
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", walkthrough], capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        python = re.search(r"```python\n(.*?)```", GRPC_DOC, re.DOTALL)
        assert python is not None
        snippet = python.group(1).replace("localhost:8890", f"127.0.0.1:{grpc_port}")
        done = subprocess.run(
            [sys.executable, "-c", snippet], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith('b\'{"scores"') and "'x-version-id'" in lines[0]
        assert lines[1:] == [
            "['item001'] ['nope']",
            "items ['item001', 'item002']",
            "StatusCode.NOT_FOUND key-not-found",
        ]
    finally:
        server.stop()
