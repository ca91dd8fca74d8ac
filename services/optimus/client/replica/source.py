"""Where a replica downloads from: the gRPC API for entries and changes, REST for versions.

The gRPC API streams a version (`StreamVersion`) and the dataset's transitions
(`WatchDataset`); a version's counts and digest, and the bounded poll of the
active version, come from REST. Through Dapr, gRPC goes to the app id that
serves it (`optimus-reads`, docs/grpc.md) and REST to `optimus-api`. A
`token` goes on both: as the Authorization header and as `authorization`
metadata.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from optimus.client.transport import (
    DEFAULT_APP_ID,
    DEFAULT_BASE_URL,
    bearer_headers,
    dapr_base_url,
    dapr_headers,
)

DEFAULT_GRPC_ADDRESS = "127.0.0.1:8890"
DEFAULT_READS_APP_ID = "optimus-reads"
DEFAULT_DAPR_GRPC_PORT = 50001


@dataclass(frozen=True, slots=True)
class ReplicaSource:
    rest_url: str = DEFAULT_BASE_URL
    grpc_address: str = DEFAULT_GRPC_ADDRESS
    grpc_metadata: tuple[tuple[str, str], ...] = ()
    rest_headers: dict[str, str] = field(default_factory=dict)
    token: str | None = None

    def http_headers(self) -> dict[str, str]:
        return {**self.rest_headers, **bearer_headers(self.token)}

    def call_metadata(self) -> tuple[tuple[str, str], ...]:
        """gRPC metadata keys are lowercase: the token travels as `authorization`."""
        return (*self.grpc_metadata, *bearer_headers(self.token).items())

    @classmethod
    def via_dapr(
        cls,
        reads_app_id: str = DEFAULT_READS_APP_ID,
        api_app_id: str = DEFAULT_APP_ID,
        *,
        dapr_http_port: int | None = None,
        dapr_grpc_port: int | None = None,
        token: str | None = None,
    ) -> ReplicaSource:
        """Through the local sidecar ($DAPR_HTTP_PORT, $DAPR_GRPC_PORT, $DAPR_API_TOKEN);
        `token` is the Optimus token, if the server has authentication on."""
        grpc_port = dapr_grpc_port or int(os.environ.get("DAPR_GRPC_PORT", DEFAULT_DAPR_GRPC_PORT))
        sidecar_token = tuple(dapr_headers().items())
        return cls(
            rest_url=dapr_base_url(api_app_id, dapr_http_port),
            grpc_address=f"127.0.0.1:{grpc_port}",
            grpc_metadata=(("dapr-app-id", reads_app_id), *sidecar_token),
            rest_headers=dapr_headers(),
            token=token,
        )
