"""The `optimus` command."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from optimus import __version__
from optimus.bootstrap import EmbeddedSettings, bootstrap_embedded
from optimus.entrypoints.api.app import create_app
from optimus.service_layer.loading import Limits
from optimus.service_layer.local_jobs import CollectorSettings

cli = typer.Typer(
    help="Optimus: a versioned, transactional key/value store.",
    no_args_is_help=True,
    add_completion=False,
)

DEFAULT_PORT = 8888


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@cli.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Optimus: a versioned, transactional key/value store."""


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = DEFAULT_PORT,
    data_dir: Annotated[Path, typer.Option(help="Where datasets and entries are stored.")] = Path(
        "optimus-data"
    ),
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    max_value_bytes: Annotated[
        int, typer.Option(help="Largest value accepted, in bytes.")
    ] = Limits().max_value_bytes,
    gc_grace_seconds: Annotated[
        float,
        typer.Option(help="How long entries of a discarded or evicted version stay readable."),
    ] = CollectorSettings().grace_ms / 1000,
) -> None:
    """Run the whole API in this process, on local disk (nothing else to install)."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        settings = EmbeddedSettings(
            data_dir=data_dir,
            limits=Limits(max_value_bytes=max_value_bytes),
            collector=CollectorSettings(grace_ms=int(gc_grace_seconds * 1000)),
        )
        services = bootstrap_embedded(settings)
    except Exception as exc:  # RocksDB refuses a data dir that another process holds
        typer.secho(f"cannot open {data_dir}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.secho(
        f"Optimus {__version__} on http://{host}:{port}  (API docs: http://{host}:{port}/docs, "
        f"data: {data_dir.resolve()})",
        fg=typer.colors.GREEN,
        err=True,
    )
    uvicorn.run(
        create_app(services),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,  # costs about a quarter of the read throughput
        log_level=log_level,
    )


def main() -> None:
    cli()
