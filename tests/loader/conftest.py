"""Loader tests run `optimus load` against a real `optimus serve` over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from optimus.client import OptimusClient
from optimus.domain.digest import stats_of
from optimus.entrypoints.cli import cli
from tests.support.api import unique
from tests.support.server import OptimusServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OptimusServer]:
    server = OptimusServer(tmp_path_factory.mktemp("loader") / "data").start()
    yield server
    server.stop()


@pytest.fixture
def client(server: OptimusServer) -> Iterator[OptimusClient]:
    with OptimusClient(server.base_url) as client:
        yield client


@dataclass
class Loaded:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> dict[str, str]:
        """The `name   value` lines the command prints on success."""
        fields = {}
        for line in self.stdout.splitlines():
            name, _, value = line.partition(" ")
            fields[name] = value.strip()
        return fields

    @property
    def version_id(self) -> str:
        return self.summary["version"]

    @property
    def batches(self) -> tuple[int, int]:
        """(sent, acknowledged before) of a resumed load: '12 sent, 28 acknowledged before…'."""
        words = self.summary["batches"].replace(",", "").split()
        return int(words[0]), int(words[2])

    @property
    def resume_hint(self) -> str:
        """The version id in 'to finish it: optimus load --resume VERSION'."""
        return self.stderr.split("optimus load --resume ")[-1].split()[0]


class Loader:
    """Runs `optimus load` in this process, against `base_url`, with its own journal dir."""

    def __init__(self, base_url: str, journal_dir: Path) -> None:
        self.base_url = base_url
        self.journal_dir = journal_dir

    def __call__(self, *args: str | Path) -> Loaded:
        result = CliRunner().invoke(
            cli,
            [
                "load",
                "--url", self.base_url,
                "--journal-dir", str(self.journal_dir),
                "--progress", "log",
                *map(str, args),
            ],
        )  # fmt: skip
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Loaded(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def load(server: OptimusServer, tmp_path: Path) -> Loader:
    return Loader(server.base_url, tmp_path / "journals")


@pytest.fixture
def dataset(client: OptimusClient) -> str:
    name = unique("ds")
    client.create_dataset(name, ["items", "users"])
    return name


def digest_of(entries: dict[tuple[str, str], Any], *, as_json: bool = True) -> str:
    """The digest a version holding exactly `entries` ((table, key) -> value) must have.

    A bytes value is the exact JSON text the input holds (stored as written).
    """
    return stats_of(
        (table, key, _stored(value, as_json)) for (table, key), value in entries.items()
    ).digest


def _stored(value: Any, as_json: bool) -> bytes:
    if isinstance(value, bytes):
        return value
    return orjson.dumps(value) if as_json else value.encode()


def read_all(client: OptimusClient, dataset: str, version_id: str, table: str, keys) -> dict:
    return client.get_many(dataset, table, keys, version_id=version_id).values
