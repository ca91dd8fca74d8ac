"""Messages of optimus.v1 from the read path's objects."""

from __future__ import annotations

from optimus.domain.events import VersionEvent
from optimus.entrypoints.api.entry_responses import version_names
from optimus.entrypoints.grpc_api.errors import Metadata
from optimus.service_layer.views import DatasetView
from optimus.v1 import optimus_pb2 as pb


def version_metadata(view: DatasetView, version_id: str) -> Metadata:
    """x-version-id and x-active-version-id, as REST sends them in headers."""
    return tuple(version_names(view, version_id).items())


def dataset_change(change: DatasetView | VersionEvent) -> pb.DatasetChange:
    if isinstance(change, DatasetView):
        state = pb.DatasetState(
            dataset=change.name,
            revision=change.revision,
            active_version_id=change.active_version_id or "",
            version_statuses={version: str(status) for version, status in change.statuses.items()},
        )
        return pb.DatasetChange(current=state)
    event = pb.VersionEvent(
        type=change.type,
        dataset=change.dataset,
        revision=change.revision,
        version_id=change.version_id,
        sequence=change.sequence,
        status=change.status,
        at=change.at,
        by=change.by,
        reason=change.reason or "",
        active_version_id=change.active_version_id or "",
        previous_active_version_id=change.previous_active_version_id or "",
        counts=change.counts or {},
        digest=change.digest or "",
        label=change.label or "",
    )
    return pb.DatasetChange(event=event)
