"""Options shared by every command that calls a server."""

from __future__ import annotations

from typing import Annotated

import typer

# show_default=False: a token given by $OPTIMUS_TOKEN must not appear in --help.
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="OPTIMUS_TOKEN",
        help="An API token or JWT for a server with authentication on (never printed).",
        show_default=False,
    ),
]
