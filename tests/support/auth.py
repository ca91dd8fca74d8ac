"""API tokens for tests, made with the real `optimus token` command."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def token_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optimus", "token", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def create_token(file: Path, name: str, roles: list[str], globs: list[str], *extra: str) -> str:
    args = ["create", "--file", str(file), "--name", name]
    args += [a for role in roles for a in ("--role", role)]
    args += [a for glob in globs for a in ("--datasets", glob)]
    done = token_command(*args, *extra)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


# Who the secured servers know: a token per role on every dataset, and one on a glob.
TOKENS: dict[str, tuple[list[str], list[str]]] = {
    "reader": (["reader"], ["*"]),
    "loader": (["loader"], ["*"]),
    "publisher": (["publisher"], ["*"]),
    "admin": (["admin"], ["*"]),
    "ml-publisher": (["publisher"], ["ml-*"]),
    "unmasker": (["reader", "unmask"], ["*"]),
}


ISSUER = "https://issuer.test"
AUDIENCE = "optimus"
KEY_ID = "test-key"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Issuer:
    """An OIDC issuer of the test's own: its key set in a file, and JWTs signed by its key."""

    jwks_file: Path
    key: rsa.RSAPrivateKey = field(default_factory=rsa_key)

    def __post_init__(self) -> None:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        keys = [public | {"kid": KEY_ID, "alg": "RS256", "use": "sig"}]
        self.jwks_file.write_text(json.dumps({"keys": keys}))

    def serve_args(self) -> tuple[str, ...]:
        return (
            "--oidc-issuer", ISSUER, "--oidc-audience", AUDIENCE,
            "--oidc-jwks", str(self.jwks_file),
        )  # fmt: skip

    def token(
        self, sub: str, roles: list[str], *, key: rsa.RSAPrivateKey | None = None, **claims: Any
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600,
            "optimus_roles": roles, **claims,
        }  # fmt: skip
        signer = key or self.key
        return jwt.encode(payload, signer, algorithm="RS256", headers={"kid": KEY_ID})


@dataclass
class Secured:
    """A server with --auth-file and OIDC: its /v1 URL, tokens file, a token per name, issuer."""

    base_url: str
    auth_file: Path
    tokens: dict[str, str]
    issuer: Issuer

    def client(self, token_name: str | None = None, **headers: str) -> httpx.Client:
        if token_name is not None:
            headers["authorization"] = f"Bearer {self.tokens[token_name]}"
        return httpx.Client(base_url=self.base_url, timeout=30, headers=headers)

    def bearer(self, token: str) -> httpx.Client:
        headers = {"authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.base_url, timeout=30, headers=headers)


def auth_setup(directory: Path) -> tuple[Path, dict[str, str], Issuer]:
    """A tokens file with TOKENS, and an issuer whose key set is beside it."""
    file = directory / "auth.yaml"
    tokens = {name: create_token(file, name, *grant) for name, grant in TOKENS.items()}
    return file, tokens, Issuer(directory / "jwks.json")
