"""The embedded host's event publisher: one JSON log line per version event."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson

from optimus.adapters.codec import event_to_dict
from optimus.domain.events import VersionEvent

log = logging.getLogger("optimus.events")


class EventLog:
    async def on_events(self, events: Sequence[VersionEvent]) -> None:
        for event in events:
            log.info("%s", orjson.dumps(event_to_dict(event)).decode())
