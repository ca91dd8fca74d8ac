"""`optimus token` keeps only hashes; `optimus serve` will not serve a public address open."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.auth import create_token, token_command
from tests.support.ports import free_port


def test_the_file_keeps_the_hash_and_the_grants_never_the_token(tmp_path: Path) -> None:
    file = tmp_path / "auth.yaml"
    token = create_token(file, "ci", ["loader", "reader"], ["ml-*", "fx-*"], "--expires", "90d")
    assert token.startswith("optimus_")
    assert token not in file.read_text()
    listed = token_command("list", "--file", str(file))
    assert listed.returncode == 0, listed.stderr
    line = listed.stdout.strip()
    assert line.startswith("ci\t") and token not in line
    for grant in ("loader:ml-*", "loader:fx-*", "reader:ml-*", "reader:fx-*"):
        assert grant in line


def test_a_name_is_used_once_and_revoking_an_unknown_name_fails(tmp_path: Path) -> None:
    file = tmp_path / "auth.yaml"
    create_token(file, "ci", ["reader"], ["*"])
    again = token_command("create", "--file", str(file), "--name", "ci", "--role", "reader",
                          "--datasets", "*")  # fmt: skip
    assert again.returncode != 0 and "exists" in again.stderr
    unknown = token_command("revoke", "--file", str(file), "--name", "nobody")
    assert unknown.returncode != 0 and "nobody" in unknown.stderr
    bad_role = token_command("create", "--file", str(file), "--name", "x", "--role", "root",
                             "--datasets", "*")  # fmt: skip
    assert bad_role.returncode != 0 and "unknown role" in bad_role.stderr


def test_serving_a_public_address_without_auth_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "optimus", "serve", "--host", "0.0.0.0",
         "--port", str(free_port()), "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "refusing to serve 0.0.0.0 without authentication" in done.stderr
    assert not (tmp_path / "data").exists()
