"""The local replica: a dataset's whole active version held in-process (docs/client.md)."""

from optimus.client.replica.aio import AsyncReplica, ReplicaStatus
from optimus.client.replica.served import ServedVersion
from optimus.client.replica.source import ReplicaSource
from optimus.client.replica.sync import Replica

__all__ = ["AsyncReplica", "Replica", "ReplicaSource", "ReplicaStatus", "ServedVersion"]
