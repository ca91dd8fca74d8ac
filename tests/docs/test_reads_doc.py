"""docs/reads.md works when pasted: its curl session, then its Python snippet."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import orjson

from tests.docs.test_readme import REPO
from tests.support.server import OptimusServer

READS_DOC = (REPO / "docs" / "reads.md").read_text()


def _first(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", READS_DOC, re.DOTALL)
    assert found, f"no {language} block in docs/reads.md"
    return found.group(1)


def test_the_curl_session_and_the_python_snippet_of_docs_reads(tmp_path: Path) -> None:
    server = OptimusServer(tmp_path / "data").start()
    try:
        address = f"127.0.0.1:{server.port}"
        shell = _first("bash").replace("localhost:8888", address)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", shell], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        pulled = orjson.loads(next(line for line in lines if line.startswith('{"status":"OK","v')))
        assert pulled["results"] == [
            {
                "key": "ann",
                "value": {
                    "name": "Ann",
                    "address": {"city": "Leeds"},
                    "basket": [{"title": "Tribble", "stock": 999}, {"title": "Phaser", "stock": 3}],
                    "best-friend": {"name": "Bo"},
                    "phone": "unknown",
                },
            },
            {"key": "nobody", "value": None},
        ]
        assert '{"title": "Tribble", "stock": 9}' in lines  # as it was sent
        assert any('"items-retracted":1' in line for line in lines)
        assert lines[-2].endswith('"stock": 999}') and lines[-3].lower().startswith("x-version-id")
        snippet = _first("python").replace("localhost:8888", address)
        done = subprocess.run(
            [sys.executable, "-c", snippet], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        # After the curl session: the phaser was retracted by the published patch.
        assert "{'ann': {'name': 'Ann', 'basket': [{'title': 'Tribble'}, None]}}" in done.stdout
    finally:
        server.stop()
