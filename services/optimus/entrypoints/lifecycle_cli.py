"""`optimus datasets|versions|diff|history|stage|publish|rollback|discard|excise|get`: the lifecycle
from a terminal or a scheduler, over the API (the client SDK).

Readable tables by default, `--json` for scripts. Exit codes: 0 done, 1 refused
by the server (its message on stderr) or the server unreachable, 2 bad usage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer

from optimus.client import OptimusClient, OptimusClientError, Version
from optimus.client.transport import DEFAULT_BASE_URL
from optimus.entrypoints.cli_options import Token

REFUSED = 1

Url = Annotated[
    str,
    typer.Option(
        "--url", envvar="OPTIMUS_URL", help="The API's base URL (default: the local server)."
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]
Reason = Annotated[str | None, typer.Option(help="Why; recorded in the operation log.")]


@contextmanager
def _client(url: str, token: str | None) -> Iterator[OptimusClient]:
    """A client; a refusal (401 and 403 too) or an unreachable server ends the command with
    exit code 1."""
    try:
        with OptimusClient(url, token=token, cache_entries=0, active_ttl=0) as client:
            yield client
    except OptimusClientError as exc:
        typer.secho(f"refused: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(REFUSED) from None


def _print_json(body: Any) -> None:
    typer.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())


def _print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(header)] + [["-" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _when(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def datasets(url: Url = DEFAULT_BASE_URL, token: Token = None, json: Json = False) -> None:
    """List the datasets, with their active and candidate versions."""
    with _client(url, token) as client:
        found = client.datasets()
    if json:
        _print_json([d.raw for d in found])
        return
    rows = [
        (d.name, ",".join(d.tables), d.active_version_id, d.candidate_version_id) for d in found
    ]
    _print_table(("DATASET", "TABLES", "ACTIVE", "CANDIDATE"), rows)


def versions(
    dataset: str, url: Url = DEFAULT_BASE_URL, token: Token = None, json: Json = False
) -> None:
    """List a dataset's versions, oldest first."""
    with _client(url, token) as client:
        found = client.versions(dataset)
    if json:
        _print_json([v.raw for v in found])
        return
    rows = [_version_row(v) for v in found]
    _print_table(("VERSION", "SEQ", "STATUS", "LABEL", "ENTRIES", "CREATED", "GATES"), rows)


def _version_row(version: Version) -> tuple[object, ...]:
    gates = version.raw.get("gates")
    passed = None if gates is None else ("passed" if gates["passed"] else "FAILED")
    return (
        version.id,
        version.sequence,
        version.status,
        version.label,
        version.entries,
        _when(version.created_at),
        passed,
    )


def diff(
    version: str,
    against: Annotated[
        str | None, typer.Option(help="The version to compare with (default: the active one).")
    ] = None,
    entries: Annotated[bool, typer.Option("--entries", help="List the changed keys.")] = False,
    url: Url = DEFAULT_BASE_URL,
    token: Token = None,
    json: Json = False,
) -> None:
    """What VERSION adds, removes and changes against another version."""
    with _client(url, token) as client:
        summary = client.diff(version, against=against)
        changes = list(client.diff_entries(version, against=summary["against"])) if entries else []
    if json:
        _print_json(summary | ({"entries": changes} if entries else {}))
        return
    typer.echo(f"{version} against {summary['against']}")
    kinds = ("added", "removed", "changed", "unchanged")
    tables = [(t, *(c[k] for k in kinds)) for t, c in summary["tables"].items()]
    total = [("(total)", *(summary["total"][k] for k in kinds))]
    _print_table(("TABLE", *(k.upper() for k in kinds)), tables + total)
    if entries:
        typer.echo("")
        rows = [
            (c["table"], c["key"], c["change"], _shown(c, "old"), _shown(c, "new")) for c in changes
        ]
        _print_table(("TABLE", "KEY", "CHANGE", "OLD", "NEW"), rows)


def _shown(change: dict[str, Any], side: str) -> str | None:
    return orjson.dumps(change[side]).decode() if side in change else None


def history(
    dataset: str,
    table: str,
    key: str,
    url: Url = DEFAULT_BASE_URL,
    token: Token = None,
    json: Json = False,
) -> None:
    """KEY's value in every retained version of DATASET."""
    with _client(url, token) as client:
        found = client.history(dataset, table, key)
    if json:
        _print_json(found)
        return
    rows = [
        (
            item["version"],
            item["sequence"],
            item["status"],
            item["label"],
            _when(item["published-at"]),
            orjson.dumps(item["value"]).decode() if item["present"] else "(absent)",
        )
        for item in found
    ]
    _print_table(("VERSION", "SEQ", "STATUS", "LABEL", "PUBLISHED", "VALUE"), rows)


def get(
    dataset: str,
    table: str,
    key: str,
    version_id: Annotated[
        str | None, typer.Option("--version-id", help="Read this version.")
    ] = None,
    track: Annotated[str | None, typer.Option(help="candidate: read the staged candidate.")] = None,
    url: Url = DEFAULT_BASE_URL,
    token: Token = None,
    json: Json = False,
) -> None:
    """Print KEY's value (from the active version, a pinned one, or the candidate)."""
    with _client(url, token) as client:
        value = client.get(dataset, table, key, version_id=version_id, track=track)
    typer.echo(orjson.dumps(value).decode() if json or not isinstance(value, str) else value)


def _transition(
    act: Callable[[OptimusClient], Version], done: str, url: str, token: str | None, json: bool
) -> None:
    with _client(url, token) as client:
        version = act(client)
    if json:
        _print_json(version.raw)
    else:
        typer.echo(f"{done} {version.id} (now {version.status})")


def stage(
    version: str,
    reason: Reason = None,
    url: Url = DEFAULT_BASE_URL,
    token: Token = None,
    json: Json = False,
) -> None:
    """Make a SAVED version the candidate: readers of the candidate track get it."""
    _transition(lambda c: c.stage(version, reason=reason), "staged", url, token, json)


def publish(
    version: str,
    reason: Reason = None,
    force: Annotated[
        bool, typer.Option("--force", help="Override failed publish gates (needs --reason).")
    ] = False,
    url: Url = DEFAULT_BASE_URL,
    token: Token = None,
    json: Json = False,
) -> None:
    """Publish a SAVED version: every reader switches to it at once."""
    if force and not reason:
        raise typer.BadParameter("--force needs a --reason", param_hint="--reason")
    _transition(
        lambda c: c.publish(version, reason=reason, force=force), "published", url, token, json
    )


def rollback(
    dataset: str,
    version: Annotated[
        str | None, typer.Argument(help="The version to go back to (default: the previous one).")
    ] = None,
    reason: Reason = None,
    url: Url = DEFAULT_BASE_URL,
    token: Token = None,
    json: Json = False,
) -> None:
    """Re-publish an earlier SAVED version of DATASET (by default the one before the active)."""

    def act(client: OptimusClient) -> Version:
        target = version or _previous(client, dataset)
        return client.publish(target, reason=reason)

    _transition(act, "rolled back to", url, token, json)


def _previous(client: OptimusClient, dataset: str) -> str:
    found = client.versions(dataset)
    active = next((v for v in found if v.status == "PUBLISHED"), None)
    earlier = [
        v for v in found if v.status == "SAVED" and (active is None or v.sequence < active.sequence)
    ]
    if not earlier:
        typer.secho(
            f"refused: {dataset} has no earlier SAVED version", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(REFUSED)
    return earlier[-1].id


def discard(
    version: str,
    reason: Reason = None,
    url: Url = DEFAULT_BASE_URL,
    token: Token = None,
    json: Json = False,
) -> None:
    """Discard a version that is not published; its entries are deleted."""
    _transition(lambda c: c.discard(version, reason=reason), "discarded", url, token, json)


def excise(
    dataset: str,
    table: str,
    keys: Annotated[list[str], typer.Argument(help="The keys to remove.")],
    reason: Annotated[
        str, typer.Option(help="Why (required): kept in the audit and operation logs.")
    ],
    url: Url = DEFAULT_BASE_URL,
    token: Token = None,
    json: Json = False,
) -> None:
    """Remove KEYS of TABLE from every retained version of DATASET, for good (admin)."""
    with _client(url, token) as client:
        done = client.excise(dataset, table, keys, reason=reason)
    if json:
        _print_json(done)
    else:
        typer.echo(f"excised {done['keys']} keys of {table} from {len(done['versions'])} versions")


COMMANDS = (datasets, versions, diff, history, get, stage, publish, rollback, discard, excise)


def add_lifecycle_commands(cli: typer.Typer) -> None:
    for command in COMMANDS:
        cli.command()(command)
