"""A secured server called from the command line and the SDK with a token (embedded host)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimus.client import (
    AsyncOptimusClient,
    Forbidden,
    OptimusClient,
    Replica,
    ReplicaSource,
    Unauthenticated,
)
from optimus.entrypoints.cli import cli
from tests.support.api import Api
from tests.support.auth import Secured, auth_setup
from tests.support.ports import free_port
from tests.support.server import OptimusServer

runner = CliRunner()


@pytest.fixture(scope="module")
def grpc_address() -> str:
    return f"127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, grpc_address: str) -> Iterator[Secured]:
    auth_file, tokens, issuer = auth_setup(tmp_path_factory.mktemp("token-auth"))
    optimus = OptimusServer(
        tmp_path_factory.mktemp("token") / "data",
        *("--auth-file", str(auth_file), "--grpc-port", grpc_address.rsplit(":", 1)[1]),
        *issuer.serve_args(),
    )
    optimus.start()
    try:
        yield Secured(optimus.base_url, auth_file, tokens, issuer)
    finally:
        optimus.stop()


@pytest.fixture(scope="module")
def published(server: Secured) -> tuple[str, str, str]:
    """A dataset with a published version and a second one SAVED: (dataset, v1, v2)."""
    with server.client("admin") as admin:
        api = Api(admin)
        dataset = api.create_dataset()
        v1 = api.publish_new(dataset, "items", {"a": 1})
        v2 = api.create_version(dataset)
        api.load(dataset, v2, "items", {"a": 2})
        api.save(v2)
    return dataset, v1, v2


def optimus(server: Secured, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(cli, [*args, "--url", server.base_url], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    return result.exit_code, result.stdout + result.stderr


def test_a_verb_without_a_token_exits_1_naming_the_401(
    server: Secured, published: tuple[str, str, str]
) -> None:
    code, out = optimus(server, "versions", published[0], env={"OPTIMUS_TOKEN": ""})
    assert code == 1 and "HTTP 401" in out


def test_a_token_by_option_or_by_environment_works(
    server: Secured, published: tuple[str, str, str]
) -> None:
    dataset, v1, _ = published
    reader = server.tokens["reader"]
    code, out = optimus(server, "get", dataset, "items", "a", "--version-id", v1, "--token", reader)
    assert (code, out.strip()) == (0, "1")
    code, out = optimus(server, "versions", dataset, env={"OPTIMUS_TOKEN": reader})
    assert code == 0 and v1 in out
    jwt = server.issuer.token("alice", ["reader:*"])
    code, out = optimus(server, "versions", dataset, "--json", "--token", jwt)
    assert code == 0 and v1 in out


def test_a_reader_publishing_exits_1_with_the_403_and_never_shows_its_token(
    server: Secured, published: tuple[str, str, str]
) -> None:
    dataset, v1, v2 = published
    reader = server.tokens["reader"]
    code, out = optimus(server, "publish", v2, "--token", reader)
    assert code == 1 and "HTTP 403" in out and "publisher" in out
    assert reader not in out
    code, out = optimus(server, "publish", v2, env={"OPTIMUS_TOKEN": reader})
    assert code == 1 and reader not in out
    with server.client("admin") as admin:
        assert Api(admin).dataset(dataset)["active-version"]["id"] == v1
    code, out = optimus(server, "publish", "--help", env={"OPTIMUS_TOKEN": reader})
    assert code == 0 and "OPTIMUS_TOKEN" in out and reader not in out


def test_export_and_load_round_trip_with_a_token(
    server: Secured, published: tuple[str, str, str], tmp_path: Path
) -> None:
    dataset, v1, _ = published
    exported = tmp_path / "export.jsonl"
    loader = server.tokens["loader"]
    code, out = optimus(
        server, "export", dataset, "--version", v1, "-o", str(exported), env={"OPTIMUS_TOKEN": ""}
    )
    assert code == 1 and "HTTP 401" in out and not exported.exists()
    code, out = optimus(
        server, "export", dataset, "--version", v1, "-o", str(exported), "--token", loader
    )
    assert code == 0, out
    journals = str(tmp_path / "journals")
    load = ("load", str(exported), "--dataset", dataset, "--journal-dir", journals)
    code, out = optimus(server, *load, "--progress", "log", env={"OPTIMUS_TOKEN": loader})
    assert code == 0, out
    assert loader not in out
    new_version = next(line.split()[1] for line in out.splitlines() if line.startswith("version "))
    with server.client("admin") as admin:
        api = Api(admin)
        assert api.version(new_version)["digest"] == api.version(v1)["digest"]


def test_the_sdk_reads_with_a_token_sync_and_async(
    server: Secured, published: tuple[str, str, str]
) -> None:
    dataset, v1, _ = published
    reader = server.tokens["reader"]
    with OptimusClient(server.base_url, token=reader) as client:
        assert client.get(dataset, "items", "a", version_id=v1) == 1
        with pytest.raises(Forbidden):
            client.publish(published[2])
    with OptimusClient(server.base_url) as anonymous, pytest.raises(Unauthenticated):
        anonymous.get(dataset, "items", "a", version_id=v1)

    async def read() -> object:
        async with AsyncOptimusClient(server.base_url, token=reader) as client:
            return await client.get(dataset, "items", "a", version_id=v1)

    assert asyncio.run(read()) == 1


def test_audit_verify_of_a_server_refused_without_admin_exits_1(server: Secured) -> None:
    reader = server.tokens["reader"]
    result = runner.invoke(cli, ["audit", "verify", "--url", server.base_url, "--token", reader])
    assert result.exit_code == 1 and "HTTP 403" in result.stderr and reader not in result.stderr
    admin = ["audit", "verify", "--url", server.base_url, "--token", server.tokens["admin"]]
    assert runner.invoke(cli, admin).exit_code == 0


def test_a_replica_follows_a_secured_server_with_a_token(
    server: Secured, published: tuple[str, str, str], grpc_address: str
) -> None:
    dataset, v1, _ = published
    source = ReplicaSource(server.base_url, grpc_address, token=server.tokens["reader"])
    replica = Replica(source, dataset).start(timeout=30)  # refused, it would retry till then
    try:
        assert replica.version_id == v1 and replica.get("items", "a") == b"1"
    finally:
        replica.close()
