"""Optimus client SDK: read entries (cached by version) and administer datasets and versions.

from optimus.client import OptimusClient

with OptimusClient("http://127.0.0.1:8888/v1") as client:
    client.get("recommendations", "items", "item001")
    with client.pin("recommendations") as snapshot:  # one version throughout
        snapshot.get_many("items", ["item001", "item002"])
"""

from optimus.client.aio import AsyncOptimusClient, AsyncSnapshot
from optimus.client.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    KeyNotFound,
    NotFound,
    OptimusClientError,
    ReplicasNotReady,
    ServerError,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    is_transient,
)
from optimus.client.models import Dataset, Entries, Operation, Pulled, Version, VersionSummary
from optimus.client.replica import AsyncReplica, Replica, ReplicaSource, ReplicaStatus
from optimus.client.sync import OptimusClient, Snapshot
from optimus.client.transport import dapr_base_url

__all__ = [
    "ApiError",
    "AsyncOptimusClient",
    "AsyncReplica",
    "AsyncSnapshot",
    "BadRequest",
    "Conflict",
    "Dataset",
    "Entries",
    "Forbidden",
    "Gone",
    "KeyNotFound",
    "NotFound",
    "Operation",
    "OptimusClient",
    "OptimusClientError",
    "Pulled",
    "Replica",
    "ReplicaSource",
    "ReplicaStatus",
    "ReplicasNotReady",
    "ServerError",
    "Snapshot",
    "TooLarge",
    "TooManyRequests",
    "Unauthenticated",
    "Unavailable",
    "Version",
    "VersionSummary",
    "dapr_base_url",
    "is_transient",
]
