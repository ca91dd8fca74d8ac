"""`optimus audit verify --data-dir` catches an edited, a deleted and a reordered record."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api
from tests.support.server import OptimusServer


def _verify(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optimus", "audit", "verify", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose audit log holds a few records, its server stopped."""
    data_dir = tmp_path_factory.mktemp("audited") / "data"
    server = OptimusServer(data_dir).start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            api = Api(client)
            dataset = api.create_dataset()
            for _ in range(3):
                api.create_version(dataset)
        done = _verify(data_dir)  # while it serves
        assert done.returncode == 0 and "4 records" in done.stdout, done.stdout + done.stderr
    finally:
        server.stop()
    return data_dir


def _edit(lines: list[str]) -> list[str]:
    record = json.loads(lines[1])
    record["principal"] = "someone-else"
    return [lines[0], json.dumps(record) + "\n", *lines[2:]]


EDITS: dict[str, Callable[[list[str]], list[str]]] = {
    "edited": _edit,
    "deleted": lambda lines: [lines[0], *lines[2:]],
    "reordered": lambda lines: [lines[0], lines[2], lines[1], *lines[3:]],
}


@pytest.mark.parametrize("how", EDITS)
def test_a_tampered_chain_is_caught_at_the_record_changed(
    audited: Path, tmp_path: Path, how: str
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(audited, copy)
    log = copy / "audit.jsonl"
    log.write_text("".join(EDITS[how](log.read_text().splitlines(keepends=True))))
    done = _verify(copy)
    assert done.returncode == 1
    assert "broken at record 2" in done.stderr, done.stderr
