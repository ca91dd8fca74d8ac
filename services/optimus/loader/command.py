"""`optimus load`: the command line of the loader."""

from __future__ import annotations

import asyncio
import getpass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from optimus.client.transport import DEFAULT_BASE_URL
from optimus.domain.export_layout import COLUMNS as EXPORT_COLUMNS
from optimus.entrypoints.cli_options import Token
from optimus.loader.errors import BadRow, LoadFailed, TooManyBadRows
from optimus.loader.mapping import ColumnMapping, ValueFormat
from optimus.loader.plan import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_VALUE_BYTES,
    MAX_BATCH_SIZE,
    LoadPlan,
)
from optimus.loader.retry import RetryPolicy
from optimus.loader.sources import Format, expand_sources

if TYPE_CHECKING:
    from optimus.loader.orchestration import LoadResult, LoadStopped

SHOWN_BAD_ROWS = 20


class ProgressMode(StrEnum):
    AUTO = "auto"
    BAR = "bar"
    LOG = "log"


_INPUT = "Input"
_MAPPING = "Columns"
_VERSION = "Version"
_RUN = "Running"


def load(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files or globs (quoted). TABLE=PATH loads that file into TABLE.",
            show_default=False,
        ),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", "-d", help="The dataset to load.", rich_help_panel=_INPUT),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            "-u",
            envvar="OPTIMUS_URL",
            help=f"Base URL of the API (default {DEFAULT_BASE_URL}; on --resume, the journal's).",
            show_default=False,
            rich_help_panel=_INPUT,
        ),
    ] = None,
    token: Token = None,
    input_format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="Format of every file (default: from the suffix).",
            rich_help_panel=_INPUT,
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option("--table", "-t", help="The table of every row.", rich_help_panel=_MAPPING),
    ] = None,
    table_column: Annotated[
        str | None,
        typer.Option(help="The column naming each row's table.", rich_help_panel=_MAPPING),
    ] = None,
    key_column: Annotated[
        str, typer.Option(help="The column of the key.", rich_help_panel=_MAPPING)
    ] = "key",
    value_column: Annotated[
        str, typer.Option(help="The column of the value.", rich_help_panel=_MAPPING)
    ] = "value",
    row_as_value: Annotated[
        bool,
        typer.Option(
            "--row-as-value",
            help="The value is the whole row as a JSON object (minus key and table).",
            rich_help_panel=_MAPPING,
        ),
    ] = False,
    value_format: Annotated[
        ValueFormat,
        typer.Option(
            help="auto: CSV/TSV cells hold JSON, JSONL/Parquet values are values; "
            "json: parse strings as JSON; text: keep strings as strings.",
            rich_help_panel=_MAPPING,
        ),
    ] = ValueFormat.AUTO,
    label: Annotated[
        str | None, typer.Option(help="Label of the new version.", rich_help_panel=_VERSION)
    ] = None,
    version_id: Annotated[
        str | None,
        typer.Option(
            help="Load into this version (AWAITING_ENTRIES) instead of creating one.",
            rich_help_panel=_VERSION,
        ),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            metavar="VERSION",
            help="Finish the interrupted load of VERSION from its journal (same input files).",
            rich_help_panel=_VERSION,
        ),
    ] = None,
    save: Annotated[
        bool,
        typer.Option(
            "--save/--no-save",
            help="Save (and verify) the version once loaded.",
            rich_help_panel=_VERSION,
        ),
    ] = True,
    publish: Annotated[
        bool,
        typer.Option("--publish", help="Publish the version once saved.", rich_help_panel=_VERSION),
    ] = False,
    discard_on_error: Annotated[
        bool,
        typer.Option(
            "--discard-on-error",
            help="Discard the version if the load fails (else it stays AWAITING_ENTRIES).",
            rich_help_panel=_VERSION,
        ),
    ] = False,
    max_bad_rows: Annotated[
        int,
        typer.Option(
            min=0, help="Bad rows tolerated (reported, not loaded).", rich_help_panel=_RUN
        ),
    ] = 0,
    max_value_bytes: Annotated[
        int,
        typer.Option(
            min=1, help="Largest value, as the server's --max-value-bytes.", rich_help_panel=_RUN
        ),
    ] = DEFAULT_MAX_VALUE_BYTES,
    batch_size: Annotated[
        int,
        typer.Option(min=1, max=MAX_BATCH_SIZE, help="Rows per batch.", rich_help_panel=_RUN),
    ] = DEFAULT_BATCH_SIZE,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Batches in flight.", rich_help_panel=_RUN)
    ] = 4,
    retries: Annotated[
        int,
        typer.Option(
            min=1, help="Attempts of a request that fails transiently.", rich_help_panel=_RUN
        ),
    ] = RetryPolicy().attempts,
    journal_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where journals of loads are kept (default: ~/.cache/optimus/loads).",
            show_default=False,
            rich_help_panel=_RUN,
        ),
    ] = None,
    progress: Annotated[
        ProgressMode,
        typer.Option(help="auto (a bar on a terminal), bar or log.", rich_help_panel=_RUN),
    ] = ProgressMode.AUTO,
    user: Annotated[
        str | None,
        typer.Option(
            help="Who loads, for the operation log (default: your login name).",
            show_default=False,
            rich_help_panel=_RUN,
        ),
    ] = None,
    workers: Annotated[
        str | None,
        typer.Option(
            help="Load through loader workers with this Dapr app id (e.g. optimus-loader), "
            "reached through the local sidecar ($DAPR_HTTP_PORT): each input file goes to a "
            "worker, --concurrency files at a time. The files must be readable by the workers.",
            show_default=False,
            rich_help_panel=_RUN,
        ),
    ] = None,
) -> None:
    """Load CSV, TSV, JSON Lines or Parquet files into a new version of a dataset.

    Batches are written in parallel and journaled as the server acknowledges
    them; an interrupted load finishes with --resume VERSION.
    """
    # Imported here: other commands of the CLI need not pay for pyarrow and httpx.
    from optimus.loader.journal import default_journal_dir
    from optimus.loader.orchestration import LoadStopped, RunSettings, resume_load, start_load
    from optimus.loader.progress import progress_for
    from optimus.loader.workers import workers_url

    settings = RunSettings(
        journal_dir=journal_dir or default_journal_dir(),
        base_url=url,
        token=token,
        concurrency=concurrency,
        discard_on_error=discard_on_error,
        user=user or _login_name(),
        retry=RetryPolicy(attempts=retries),
        workers_url=workers_url(workers) if workers else None,
    )
    reporter = progress_for(progress)
    try:
        if resume is not None:
            if sources or dataset or version_id:
                _fail("--resume takes its input, dataset and version from the journal")
            result = asyncio.run(resume_load(resume, settings, reporter, publish=publish))
        else:
            if not sources or not dataset:
                _fail("give the dataset (--dataset) and at least one input file")
            mapping = ColumnMapping(
                key_column=key_column,
                value_column=None if row_as_value else value_column,
                # Neither given: the table is in the rows, as `optimus export` writes them.
                table_column=table_column if table_column or table else EXPORT_COLUMNS[0],
                value_format=value_format,
            )
            plan = LoadPlan(
                dataset=dataset,
                sources=expand_sources(sources, table=table, chosen_format=input_format),
                mapping=mapping,
                batch_size=batch_size,
                max_bad_rows=max_bad_rows,
                max_value_bytes=max_value_bytes,
                label=label,
                save=save,
                publish=publish,
            )
            base_url = url or DEFAULT_BASE_URL
            result = asyncio.run(
                start_load(plan, base_url, settings, reporter, version_id=version_id)
            )
    except LoadStopped as exc:
        _report_failure(exc)
        _report_stopped(exc)
        raise typer.Exit(1) from None
    except LoadFailed as exc:
        _report_failure(exc)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    _report(result, max_bad_rows)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no $USER and no passwd entry, as in some containers
        return "optimus-load"


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _show_bad_rows(rows: list[BadRow]) -> None:
    for row in rows[:SHOWN_BAD_ROWS]:
        typer.echo(f"  {row}", err=True)
    if len(rows) > SHOWN_BAD_ROWS:
        typer.echo(f"  … and {len(rows) - SHOWN_BAD_ROWS} more", err=True)


def _report_failure(error: LoadFailed) -> None:
    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
    if isinstance(error, TooManyBadRows):
        _show_bad_rows(error.bad_rows)


def _report_stopped(error: LoadStopped) -> None:
    _show_bad_rows(error.bad_rows)
    typer.echo(f"version {error.version_id} is {error.status}", err=True)
    if error.resumable:
        typer.echo(f"to finish it: optimus load --resume {error.version_id}", err=True)


def _report(result: LoadResult, max_bad_rows: int) -> None:
    version = result.version
    stats = result.totals.stats
    entries = version.entries if version.entries is not None else stats.total
    tables = sorted((t, n) for t, n in (version.counts or stats.counts).items() if n)
    counts = ", ".join(f"{table} {count:,}" for table, count in tables)
    if result.verified:
        check = "equal to the input's"
    elif version.digest is None:
        check = "of the input; the version is not saved"
    else:
        check = "not compared: the version was not created by this load"
    lines = [
        f"version   {version.id}",
        f"status    {version.status}",
        f"entries   {entries:,} ({counts})",
        f"digest    {version.digest or stats.digest} ({check})",
    ]
    if result.batches_skipped:
        sent, skipped = result.batches_sent, result.batches_skipped
        lines.append(f"batches   {sent:,} sent, {skipped:,} acknowledged before the resume")
    for line in lines:
        typer.echo(line)
    bad = result.totals.bad
    if bad:
        typer.echo(f"{len(bad)} bad rows not loaded (--max-bad-rows {max_bad_rows}):", err=True)
        _show_bad_rows(bad)
