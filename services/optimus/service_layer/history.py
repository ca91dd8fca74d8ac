"""A key's history: its value in every retained version of the dataset, oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from optimus.domain.access import Principal
from optimus.domain.version import READABLE, Version, VersionStatus
from optimus.service_layer.ports import DatasetHost
from optimus.service_layer.reads import EntryReader


@dataclass(frozen=True, slots=True)
class KeyInVersion:
    version: Version
    published_at: int | None  # the last time it was published, if ever
    value: bytes | None  # None: the key is absent from the version
    excised: bool = False  # absent because an excision removed it


def _last_published(version: Version) -> int | None:
    times = [op.at for op in version.operation_log if op.action == VersionStatus.PUBLISHED]
    return times[-1] if times else None


class KeyHistory:
    def __init__(self, host: DatasetHost, reader: EntryReader) -> None:
        self._host = host
        self._reader = reader

    async def of(
        self, dataset: str, table: str, key: str, reader: Principal | None
    ) -> tuple[str, list[KeyInVersion]]:
        """The dataset's content type and the key in each retained version, in sequence order."""
        found = await self._host.get(dataset)
        found.check_table(table)
        history = []
        for version in found.versions.values():
            if version.status not in READABLE:
                continue
            # Read as a pinned reader would: whatever a read applies applies here too.
            read = await self._reader.read_one(dataset, table, key, version.id, reader)
            history.append(
                KeyInVersion(version, _last_published(version), read.value, read.excised)
            )
        return found.content_type, history
