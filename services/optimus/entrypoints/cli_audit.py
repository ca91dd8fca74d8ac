"""`optimus audit verify`: check the hash chain of a data dir or of a running server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from optimus.client.errors import error_from_response
from optimus.client.transport import bearer_headers
from optimus.domain.audit import ChainCheck, check_chain
from optimus.entrypoints.cli_options import Token
from optimus.hosts.embedded.audit_file import FILE_NAME, read_records

audit = typer.Typer(help="The audit log.")


def _report(check: ChainCheck) -> None:
    if check.ok:
        typer.echo(f"audit chain intact: {check.records} records")
        return
    typer.secho(
        f"audit chain broken at record {check.first_broken}: {check.reason}",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(1)


@audit.command("verify")
def verify(
    data_dir: Annotated[
        Path | None, typer.Option(help="An embedded server's data dir (it may be serving).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="A running server's /v1 URL: it checks its own log.")
    ] = None,
    token: Token = None,
) -> None:
    """Exit 0 if every record chains to the one before it; else name the first broken one."""
    if (data_dir is None) == (url is None):
        typer.secho("give one of --data-dir and --url", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    if data_dir is not None:
        try:
            records = read_records(data_dir / FILE_NAME)
        except ValueError as exc:  # a line that is no longer a record
            typer.secho(f"audit chain broken: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from None
        _report(check_chain(records))
        return
    assert url is not None
    reply = httpx.get(f"{url.rstrip('/')}/audit/verify", headers=bearer_headers(token), timeout=300)
    if reply.status_code != 200:  # refused (401, 403: an admin token is needed)
        error = error_from_response(reply.status_code, reply.content)
        typer.secho(f"refused: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    body = reply.json()
    _report(ChainCheck(body["records"], body["first-broken"], body["reason"]))
