"""The DatasetActor's methods, as callers and the actor both know them.

Every method takes and returns a JSON object; results are envelopes
(`envelope.py`) so that domain errors cross the call intact.
"""

from __future__ import annotations

from dapr.actor import ActorInterface, actormethod


class DatasetActorInterface(ActorInterface):
    @actormethod(name="get")
    async def get(self, payload: dict) -> dict:
        """The whole aggregate, or None if the dataset does not exist."""

    # Not "create": the SDK's ActorProxy has a method of that name.
    @actormethod(name="create_dataset")
    async def create_dataset(self, payload: dict) -> dict:
        """Store {"dataset": <document>}; Conflict if the dataset exists."""

    @actormethod(name="execute")
    async def execute(self, payload: dict) -> dict:
        """Apply {"command": ...}: the version it concerns and the events it raised."""

    @actormethod(name="begin_batch")
    async def begin_batch(self, payload: dict) -> dict:
        """Number a new batch of {"version_id"}, if the version accepts entries."""

    @actormethod(name="end_batch")
    async def end_batch(self, payload: dict) -> dict:
        """The batch {"version_id", "number"} is stored (or given up)."""

    @actormethod(name="batches")
    async def batches(self, payload: dict) -> dict:
        """How many batches {"version_id"} had, and which are still being written."""
