"""`optimus export`: a version's entries into a JSON Lines or Parquet file, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from optimus.client.errors import error_from_response
from optimus.client.transport import DEFAULT_BASE_URL, bearer_headers
from optimus.entrypoints.cli_options import Token

FORMATS_BY_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
CHUNK_BYTES = 1 << 20


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _checked(response: httpx.Response) -> httpx.Response:
    """The response, or exit 1 with the server's message (a 401 or 403 too)."""
    if response.is_error:
        error = error_from_response(response.status_code, response.read())
        typer.secho(f"refused: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    return response


def export(
    dataset: Annotated[str, typer.Argument(help="The dataset to export.", show_default=False)],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="File to write: .jsonl or .parquet.", show_default=False
        ),
    ],
    version_id: Annotated[
        str | None,
        typer.Option(
            "--version", help="The version (default: the active one).", show_default=False
        ),
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", "-t", help="Only this table.", show_default=False)
    ] = None,
    url: Annotated[
        str,
        typer.Option("--url", "-u", envvar="OPTIMUS_URL", help="Base URL of the API."),
    ] = DEFAULT_BASE_URL,
    token: Token = None,
) -> None:
    """Write a version's entries (table, key, value) to a file; `optimus load FILE
    --dataset D` loads it back into a version with the same digest."""
    export_format = FORMATS_BY_SUFFIX.get(output.suffix.lower())
    if export_format is None:
        _fail(f"{output}: the name must end in .jsonl or .parquet")
    timeout = httpx.Timeout(60, read=600)
    with httpx.Client(base_url=url, headers=bearer_headers(token), timeout=timeout) as client:
        if version_id is None:
            active = _checked(client.get(f"/datasets/{dataset}")).json()["active-version"]
            if active is None:
                _fail(f"dataset {dataset!r} has no published version; give --version")
            version_id = active["id"]
        version = _checked(client.get(f"/versions/{version_id}")).json()
        if version["dataset"] != dataset:
            _fail(f"version {version_id} belongs to dataset {version['dataset']!r}")
        counts = version["counts"] or {}
        entries = counts.get(table, 0) if table else sum(counts.values())
        params = {"format": export_format, **({"table": table} if table else {})}
        partial = output.with_name(output.name + ".partial")  # no half file under the name
        with (
            client.stream("GET", f"/versions/{version_id}/export", params=params) as response,
            Progress(
                TextColumn(f"{version_id} ({entries:,} entries)"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                transient=True,
            ) as progress,
        ):
            _checked(response)
            task = progress.add_task("export", total=None)
            with partial.open("wb") as file:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    file.write(chunk)
                    progress.advance(task, len(chunk))
        partial.replace(output)
    typer.echo(f"{output}: {entries:,} entries of version {version_id}")
