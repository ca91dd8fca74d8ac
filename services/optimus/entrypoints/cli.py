"""The `optimus` command."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from starlette.types import ASGIApp

from optimus import __version__
from optimus.bootstrap import DaprSettings, EmbeddedSettings, bootstrap_dapr, bootstrap_embedded
from optimus.entrypoints.api.app import create_app
from optimus.entrypoints.api.host_guard import ANY_HOST, HostGuard, default_allowed_hosts
from optimus.entrypoints.http_protocol import GuardedHttpToolsProtocol
from optimus.hosts.embedded.jobs import CollectorSettings
from optimus.loader.command import load
from optimus.service_layer.loading import Limits

cli = typer.Typer(
    help="Optimus: a versioned, transactional key/value store.",
    no_args_is_help=True,
    add_completion=False,
)

DEFAULT_PORT = 8888
DEFAULT_KEEP_ALIVE_S = 5
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_MAX_CONNECTIONS = 1000


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
    data_dir: Annotated[
        Path, typer.Option(help="Where datasets and entries are stored (embedded host).")
    ] = Path("optimus-data"),
    dapr: Annotated[
        bool,
        typer.Option(
            "--dapr",
            help="Run as a Dapr app (app id optimus-api): datasets are actors, entries go to "
            "the state store component; needs a sidecar (DAPR_HTTP_PORT, DAPR_GRPC_PORT).",
        ),
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    max_value_bytes: Annotated[
        int, typer.Option(help="Largest value accepted, in bytes.")
    ] = Limits().max_value_bytes,
    gc_grace_seconds: Annotated[
        float,
        typer.Option(help="How long entries of a discarded or evicted version stay readable."),
    ] = CollectorSettings().grace_ms / 1000,
    refresh_interval_seconds: Annotated[
        float,
        typer.Option(help="With --dapr: how often a replica re-checks every dataset's head."),
    ] = DaprSettings().refresh_interval_s,
    read_cache_mb: Annotated[
        int,
        typer.Option(
            min=1,
            help="Memory for reads: RocksDB's block cache (embedded), or recently read "
            "entries (--dapr, per replica).",
        ),
    ] = DaprSettings().read_cache_bytes >> 20,
    grpc_port: Annotated[
        int | None,
        typer.Option(
            help="Also serve the gRPC API (optimus.v1, docs/grpc.md) on this port, same interface."
        ),
    ] = None,
    grpc_app_channel: Annotated[
        bool,
        typer.Option(
            "--grpc-app-channel",
            help="With --dapr and --grpc-port: the sidecar's app port is the gRPC port "
            "(app id optimus-reads, daprd --app-protocol grpc): reads only, no actors.",
        ),
    ] = False,
    timeout_keep_alive: Annotated[
        int, typer.Option(min=1, help="Seconds an idle keep-alive connection stays open.")
    ] = DEFAULT_KEEP_ALIVE_S,
    header_timeout: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Seconds a request's headers may take to arrive (from the connection or the "
            "request's first byte); past it the connection is answered 408 and closed.",
        ),
    ] = DEFAULT_HEADER_TIMEOUT_S,
    max_connections: Annotated[
        int,
        typer.Option(
            min=1, help="Open connections past which requests are answered 503 (uvicorn's limit)."
        ),
    ] = DEFAULT_MAX_CONNECTIONS,
    allowed_hosts: Annotated[
        str,
        typer.Option(
            help="Comma-separated Host names the embedded server answers (any port), or '*' "
            "for any; others get 421. Default: localhost,127.0.0.1,[::1] when --host is a "
            "loopback address, '*' otherwise. With --dapr, requests come through the sidecar "
            "and every Host is answered.",
        ),
    ] = "",
) -> None:
    """Serve the API: in this process on local disk (default), or as a Dapr app (--dapr)."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    limits = Limits(max_value_bytes=max_value_bytes)
    grace_ms = int(gc_grace_seconds * 1000)
    grpc_address = f"{host}:{grpc_port}" if grpc_port is not None else None
    if dapr:
        settings = DaprSettings(
            limits=limits,
            gc_grace_ms=grace_ms,
            refresh_interval_s=refresh_interval_seconds,
            read_cache_bytes=read_cache_mb << 20,
            grpc_address=grpc_address,
            grpc_app_channel=grpc_app_channel,
        )
        # A factory: the Dapr gRPC clients must be created inside uvicorn's event loop.
        app: Any = functools.partial(_dapr_app, settings)
        where = "as Dapr app " + ("optimus-reads" if grpc_app_channel else "optimus-api")
    else:
        try:
            services = bootstrap_embedded(
                EmbeddedSettings(
                    data_dir=data_dir,
                    limits=limits,
                    collector=CollectorSettings(grace_ms=grace_ms),
                    block_cache_bytes=read_cache_mb << 20,
                    grpc_address=grpc_address,
                )
            )
        except Exception as exc:  # in use by another server, not a directory, …
            typer.secho(f"cannot open {data_dir}: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from None
        hosts = (
            frozenset(name.strip() for name in allowed_hosts.split(",") if name.strip())
            if allowed_hosts
            else default_allowed_hosts(host)
        )
        app = create_app(services) if ANY_HOST in hosts else HostGuard(create_app(services), hosts)
        where = f"data: {data_dir.resolve()}"
    if grpc_address is not None:
        where += f", gRPC on {grpc_address}"
    typer.secho(
        f"Optimus {__version__} on http://{host}:{port}  (API docs: http://{host}:{port}/docs, "
        f"{where})",
        fg=typer.colors.GREEN,
        err=True,
    )
    uvicorn.run(
        app,
        factory=dapr,
        host=host,
        port=port,
        loop="uvloop",
        http=functools.partial(GuardedHttpToolsProtocol, header_timeout=header_timeout),
        timeout_keep_alive=timeout_keep_alive,
        limit_concurrency=max_connections,
        access_log=False,  # costs about a quarter of the read throughput
        log_level=log_level,
    )


def _dapr_app(settings: DaprSettings) -> ASGIApp:
    return create_app(bootstrap_dapr(settings))


cli.command()(load)


@cli.command("loader-worker")
def loader_worker(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8889,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run a loader worker: a Dapr app (app id optimus-loader) that loads sources sent by
    `optimus load --workers optimus-loader` straight into the entries state store."""
    from optimus.entrypoints.loader_worker import create_worker_app

    logging.basicConfig(level=log_level.upper())
    uvicorn.run(
        create_worker_app,
        factory=True,  # the Dapr gRPC clients must be created inside uvicorn's event loop
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level=log_level,
    )


def main() -> None:
    cli()
