"""Names shared with the Dapr components, the manifests under deploy/ and consumers.

They are part of the deploy contract: components/README.md documents them, and
the deploy tests check that every manifest agrees with these values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

API_APP_ID = "optimus-api"
LOADER_APP_ID = "optimus-loader"
# The same app for gRPC reads through Dapr: a gRPC app channel, no actors (docs/grpc.md).
READS_APP_ID = "optimus-reads"
ACTOR_TYPE = "DatasetActor"
VERSIONS_TOPIC = "optimus-versions"
AUDIT_TOPIC = "optimus-audit"


@dataclass(frozen=True, slots=True)
class DaprNames:
    """Component names, overridable per deployment through the environment."""

    entries_store: str = "optimus-entries"
    pubsub: str = "optimus-pubsub"
    topic: str = VERSIONS_TOPIC

    @classmethod
    def from_env(cls) -> DaprNames:
        default = cls()
        return cls(
            entries_store=os.environ.get("OPTIMUS_ENTRIES_STORE", default.entries_store),
            pubsub=os.environ.get("OPTIMUS_PUBSUB", default.pubsub),
            topic=os.environ.get("OPTIMUS_VERSIONS_TOPIC", default.topic),
        )
