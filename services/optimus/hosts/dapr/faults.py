"""What a failed Dapr call says about the state store behind the sidecar."""

from __future__ import annotations

# The sidecar's messages when the state store refused to write (daprd error codes
# ERR_STATE_SAVE, ERR_STATE_TRANSACTION, ERR_ACTOR_STATE_TRANSACTION_SAVE), as they
# reach us in the details of an INTERNAL gRPC status, also through an actor call.
_REFUSED_WRITE = (
    "failed saving state in state store",
    "error while executing state transaction",
    "error saving actor transaction state",
)


def store_refused_write(details: str | None) -> bool:
    """True if the call failed because the state store refused a write (it is full,
    read-only, without its replicas…): retrying once the store takes writes may succeed."""
    return details is not None and any(marker in details for marker in _REFUSED_WRITE)
