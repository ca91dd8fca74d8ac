"""What a load does, recorded in its journal so that `--resume` repeats it exactly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimus.loader.mapping import ColumnMapping
from optimus.loader.sources import Source

DEFAULT_BATCH_SIZE = 5000
MAX_BATCH_SIZE = 100_000  # the server's limit of entries per request
DEFAULT_BATCH_BYTES = 8 << 20
DEFAULT_MAX_VALUE_BYTES = 1 << 20  # the server's default (optimus serve --max-value-bytes)


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """A batch ends at `rows` rows or once it holds `bytes` of input, whichever comes first
    (the byte bound keeps memory in check when values are large)."""

    rows: int
    bytes: int


@dataclass(frozen=True, slots=True)
class LoadPlan:
    dataset: str
    sources: list[Source]
    mapping: ColumnMapping
    batch_size: int = DEFAULT_BATCH_SIZE
    batch_bytes: int = DEFAULT_BATCH_BYTES
    max_bad_rows: int = 0
    max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES
    label: str | None = None
    save: bool = True
    publish: bool = False

    @property
    def limits(self) -> BatchLimits:
        return BatchLimits(self.batch_size, self.batch_bytes)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "sources": [source.to_json() for source in self.sources],
            "mapping": self.mapping.to_json(),
            "batch_size": self.batch_size,
            "batch_bytes": self.batch_bytes,
            "max_bad_rows": self.max_bad_rows,
            "max_value_bytes": self.max_value_bytes,
            "label": self.label,
            "save": self.save,
            "publish": self.publish,
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> LoadPlan:
        return cls(
            **{
                **body,
                "sources": [Source.from_json(source) for source in body["sources"]],
                "mapping": ColumnMapping.from_json(body["mapping"]),
            }
        )
