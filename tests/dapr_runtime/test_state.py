"""State through the async DaprClient, on each component set's stores."""

import uuid
from collections.abc import Callable

import psycopg
import pytest
from dapr.aio.clients import DaprClient
from dapr.clients.grpc._state import StateItem

from optimus.dapr_runtime import AppReplica, ComponentSet, DaprCluster
from optimus.dapr_runtime.postgres import connection_url

ENTRIES = "optimus-entries"


def keys(count: int) -> list[str]:
    prefix = uuid.uuid4().hex[:8]
    return [f"{prefix}/key-{i}" for i in range(count)]


async def test_bulk_save_then_bulk_get(dapr_client: DaprClient) -> None:
    written = {key: f'{{"n": {i}}}'.encode() for i, key in enumerate(keys(200))}

    await dapr_client.save_bulk_state(
        ENTRIES, [StateItem(key=key, value=value) for key, value in written.items()]
    )
    response = await dapr_client.get_bulk_state(ENTRIES, keys=list(written), parallelism=8)

    assert {item.key: item.data for item in response.items} == written
    assert all(item.etag and not item.error for item in response.items)


async def test_bulk_get_of_missing_keys_returns_empty_items(dapr_client: DaprClient) -> None:
    missing = keys(3)

    response = await dapr_client.get_bulk_state(ENTRIES, keys=missing)

    assert {item.key: item.data for item in response.items} == dict.fromkeys(missing, b"")


async def test_entries_are_shared_between_app_ids(
    dapr_client: DaprClient, attach_app: Callable[[str], AppReplica]
) -> None:
    """optimus-entries keys are prefixed by the store name, not the app id, so a
    loader worker (another app id) writes entries that the API reads."""
    (key,) = keys(1)
    loader = attach_app("optimus-loader-test")

    async with DaprClient(address=loader.grpc_endpoint) as loader_client:
        await loader_client.save_state(ENTRIES, key, b"from-the-loader")

    assert (await dapr_client.get_state(ENTRIES, key)).data == b"from-the-loader"


async def test_secrets_come_from_prefixed_sidecar_environment(dapr_client: DaprClient) -> None:
    store = "optimus-secrets"

    assert (await dapr_client.get_secret(store, "PLUMBING")).secret == {"PLUMBING": "s3cret"}
    assert "NOT_A_SECRET" not in (await dapr_client.get_bulk_secret(store)).secrets


async def test_postgres_keeps_entries_byte_for_byte_in_its_documented_table(
    cluster: DaprCluster, dapr_client: DaprClient
) -> None:
    """components/README.md names the table; state.postgresql v2 keeps values as BYTEA."""
    if cluster.component_set is not ComponentSet.POSTGRES:
        pytest.skip("a table of PostgreSQL is only in the postgres set")
    assert cluster.postgres_port is not None
    (key,) = keys(1)
    value = bytes(range(256))  # not UTF-8, not JSON

    await dapr_client.save_state(ENTRIES, key, value)

    with psycopg.connect(connection_url(cluster.postgres_port)) as connection:
        row = connection.execute(
            "SELECT value FROM optimus_entries_state WHERE key = %s", [f"{ENTRIES}||{key}"]
        ).fetchone()
    assert row is not None and bytes(row[0]) == value
