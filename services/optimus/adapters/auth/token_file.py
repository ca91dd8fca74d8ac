"""The API tokens file (`--auth-file auth.yaml`): only hashes of tokens are stored.

A token is 256 random bits, so one SHA-256 is all a stored hash needs (a slow
password hash protects guessable secrets; these are not), and checking it costs
microseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from optimus.domain.access import Grant, Principal, parse_role
from optimus.domain.errors import Conflict, InvalidInput, NotFound

# Says what a bearer token is without trying it: `optimus_…` is an API token, anything else a JWT.
TOKEN_PREFIX = "optimus_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredToken:
    name: str
    hash: str
    grants: tuple[Grant, ...]
    created_at: int  # epoch ms
    expires_at: int | None = None  # epoch ms; None: never

    def as_yaml(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hash": self.hash,
            "grants": [{"role": g.role.value, "datasets": g.datasets} for g in self.grants],
            "created-at": self.created_at,
            "expires-at": self.expires_at,
        }

    @classmethod
    def from_yaml(cls, item: dict[str, Any]) -> StoredToken:
        return cls(
            name=str(item["name"]),
            hash=str(item["hash"]),
            grants=tuple(
                Grant(parse_role(g["role"]), str(g["datasets"])) for g in item.get("grants") or ()
            ),
            created_at=int(item.get("created-at") or 0),
            expires_at=None if item.get("expires-at") is None else int(item["expires-at"]),
        )


@dataclass(frozen=True, slots=True)
class TokenFile:
    tokens: tuple[StoredToken, ...] = field(default_factory=tuple)

    @classmethod
    def read(cls, path: Path) -> TokenFile:
        """The file's tokens; a file that does not exist yet holds none."""
        if not path.exists():
            return cls()
        document = yaml.safe_load(path.read_text()) or {}
        if not isinstance(document, dict) or not isinstance(document.get("tokens", []), list):
            raise InvalidInput(f"{path} is not an Optimus tokens file (tokens: [...])")
        return cls(tuple(StoredToken.from_yaml(item) for item in document.get("tokens") or ()))

    def write(self, path: Path) -> None:
        """Replaced at once (a server reloading it never sees half a file); owner-only."""
        text = yaml.safe_dump({"tokens": [t.as_yaml() for t in self.tokens]}, sort_keys=False)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(descriptor, "w") as out:
            out.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)

    def created(
        self, name: str, grants: tuple[Grant, ...], *, now_ms: int, expires_at: int | None
    ) -> tuple[TokenFile, str]:
        """This file with a new token named `name`, and the token itself (shown once)."""
        if any(t.name == name for t in self.tokens):
            raise Conflict(f"a token named {name!r} exists; revoke it first", code="token-exists")
        if not grants:
            raise InvalidInput("a token needs at least one --role and one --datasets glob")
        token = new_token()
        stored = StoredToken(name, token_hash(token), grants, now_ms, expires_at)
        return TokenFile((*self.tokens, stored)), token

    def revoked(self, name: str) -> TokenFile:
        kept = tuple(t for t in self.tokens if t.name != name)
        if len(kept) == len(self.tokens):
            raise NotFound(f"no token is named {name!r}", code="unknown-token")
        return TokenFile(kept)

    def principal(self, token: str, now_ms: int) -> tuple[Principal, int | None] | None:
        """Who holds `token` and until when (epoch ms), or None if it is unknown or expired."""
        digest = token_hash(token)
        for stored in self.tokens:
            if hmac.compare_digest(stored.hash, digest):
                if stored.expires_at is not None and stored.expires_at <= now_ms:
                    return None
                return Principal(stored.name, stored.grants), stored.expires_at
        return None
