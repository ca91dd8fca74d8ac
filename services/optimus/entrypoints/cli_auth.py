"""`optimus token …` and the authentication options of `optimus serve`."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from optimus.adapters.auth.authenticator import Authenticator
from optimus.adapters.auth.jwt_tokens import JwtVerifier, OidcSettings
from optimus.adapters.auth.token_file import TokenFile
from optimus.domain.access import grants, parse_role
from optimus.domain.errors import OptimusError

tokens = typer.Typer(help="Create, list and revoke API tokens (only their hashes are stored).")

FileOption = Annotated[Path, typer.Option("--file", help="The tokens file (YAML).")]
_DURATION = re.compile(r"^(\d+)([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def _duration_ms(text: str) -> int:
    match = _DURATION.match(text)
    if match is None:
        raise _fail(f"--expires is a number and a unit (s, m, h, d), e.g. 90d; not {text!r}")
    return int(match[1]) * _SECONDS[match[2]] * 1000


@tokens.command("create")
def create(
    file: FileOption,
    name: Annotated[str, typer.Option(help="Who holds the token (in logs and the audit).")],
    role: Annotated[list[str], typer.Option(help="reader, loader, publisher, admin or unmask.")],
    datasets: Annotated[list[str], typer.Option(help="Dataset name glob, e.g. 'ml-*'.")],
    expires: Annotated[str | None, typer.Option(help="Lifetime, e.g. 90d or 12h.")] = None,
) -> None:
    """Create a token with each role on each glob; printed once, alone on the last line."""
    now_ms = time.time_ns() // 1_000_000
    expires_at = None if expires is None else now_ms + _duration_ms(expires)
    try:
        granted = grants([parse_role(r) for r in role], datasets)
        updated, token = TokenFile.read(file).created(
            name, granted, now_ms=now_ms, expires_at=expires_at
        )
    except OptimusError as exc:
        raise _fail(exc.message) from None
    updated.write(file)
    typer.echo(f"token {name!r} created in {file}; keep it now, it is not shown again:", err=True)
    typer.echo(token)


@tokens.command("list")
def list_tokens(file: FileOption) -> None:
    """The tokens of the file: name, grants, expiry (never the tokens themselves)."""
    for stored in TokenFile.read(file).tokens:
        granted = " ".join(f"{g.role}:{g.datasets}" for g in stored.grants)
        expiry = (
            "never"
            if stored.expires_at is None
            else datetime.fromtimestamp(stored.expires_at / 1000, UTC).isoformat(timespec="seconds")
        )
        typer.echo(f"{stored.name}\t{granted}\texpires {expiry}")


@tokens.command("revoke")
def revoke(file: FileOption, name: Annotated[str, typer.Option(help="The token's name.")]) -> None:
    """Remove a token: a server using the file refuses it within a second or so."""
    try:
        TokenFile.read(file).revoked(name).write(file)
    except OptimusError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"token {name!r} revoked")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_authenticator(
    host: str,
    auth_file: Path | None,
    oidc: tuple[str | None, str | None, str | None],
    insecure_no_auth: bool,
) -> Authenticator | None:
    """What `optimus serve` authenticates with; None (open) only on loopback or when asked."""
    issuer, audience, jwks = oidc
    if any(oidc) and not all(oidc):
        raise _fail("OIDC needs all of --oidc-issuer, --oidc-audience and --oidc-jwks")
    verifier = None
    if issuer and audience and jwks:
        try:
            verifier = JwtVerifier(OidcSettings(issuer, audience, jwks))
        except Exception as exc:  # an unreadable or malformed key set
            raise _fail(f"cannot use --oidc-jwks {jwks}: {exc}") from None
    if auth_file is not None or verifier is not None:
        return Authenticator(auth_file, verifier)
    if not _is_loopback(host) and not insecure_no_auth:
        raise _fail(
            f"refusing to serve {host} without authentication: give --auth-file and/or "
            "--oidc-issuer/--oidc-audience/--oidc-jwks, or --insecure-no-auth to serve it open"
        )
    # A log line (JSON with --log-format json): operators see it where they see the rest.
    logging.getLogger("optimus.auth").warning(
        "authentication is off: anyone who can reach this server may read and change every "
        "dataset (see docs/security.md)"
    )
    return None
