"""The README's commands work when pasted: run against a real `optimus serve`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.server import OptimusServer

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def block(heading: str, language: str, n: int = 0) -> str:
    """The `n`-th (from 0) fenced block of `language` under the `## heading` section."""
    section = README.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    found = re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert len(found) > n, f"no {language} block #{n} under {heading}"
    return found[n]


def bash(
    shell: str, env: dict[str, str] | None = None, cwd: Path = REPO, timeout: float = 120
) -> str:
    """The stdout of `shell`, run with bash's strict mode; it must succeed."""
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", shell],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def check_walkthrough(address: str) -> None:
    """The curl walkthrough, run against `address` instead of localhost:8888."""
    out = bash(block("A walkthrough with curl", "bash").replace("localhost:8888", address))
    assert '"status":"OK","message":"dataset created"' in out
    assert '"status": "SAVED"' in out
    assert out.count("x-version-id:") == 2  # the first read, and the read after the rollback
    assert '{"scores": []}' in out  # version 2, before the rollback, exactly as sent
    assert '"keys-found":2,"keys-missing":1' in out


def test_walkthrough_load_and_client_snippets(tmp_path: Path) -> None:
    server = OptimusServer(tmp_path / "data").start()
    try:
        address = f"127.0.0.1:{server.port}"
        check_walkthrough(address)
        shell = block("Loading data: `optimus load`", "bash")
        shell = shell.replace("/tmp/items.tsv", str(tmp_path / "i.tsv"))
        shell = shell.replace(
            ".venv/bin/optimus load",
            f"{sys.executable} -m optimus load --url http://{address}/v1 --journal-dir {tmp_path}",
        )
        assert "status    PUBLISHED" in bash(shell)

        python = block("Reading from services: `optimus.client`", "python").replace(
            "http://127.0.0.1:8888", f"http://{address}"
        )
        python += "\nprint(value, sorted(many.values))\n"
        done = subprocess.run(
            [sys.executable, "-c", python], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "{'scores': [1, 2]} ['item001', 'item002']"
    finally:
        server.stop()


def test_before_you_publish_walkthrough(tmp_path: Path) -> None:
    server = OptimusServer(tmp_path / "data").start()
    try:
        address = f"127.0.0.1:{server.port}"
        shell = block("Before you publish", "bash").replace("localhost:8888", address)
        shell = shell.replace(".venv/bin/optimus ", f"{sys.executable} -m optimus ")
        out = bash(shell, env=os.environ | {"OPTIMUS_URL": f"http://{address}/v1"})
        assert "(total)  1      1        1        1" in out
        assert '"code":"publish-gates-failed"' in out
        assert "x-optimus-track: candidate" in out
        assert out.count("\n2\n") == 1 and "\n20\n" in out  # the canary's and everyone's
        assert "published" in out
        assert "(absent)" in out
    finally:
        server.stop()
