"""The version a replica serves: an immutable snapshot, read without locks or I/O."""

from __future__ import annotations

from collections.abc import Iterable

from optimus.client.errors import KeyNotFound
from optimus.client.models import Entries
from optimus.client.replica.stores import VersionStore


class ServedVersion:
    """Every read of one snapshot is answered by `version_id`; a switch makes a new snapshot.

    Values are the stored bytes, exactly as the server gives them (decode them
    with the dataset's content type, e.g. `orjson.loads`).
    """

    __slots__ = ("_lookups", "_store", "revision", "tables", "version_id")

    def __init__(
        self, version_id: str, revision: int, store: VersionStore, tables: frozenset[str]
    ) -> None:
        self.version_id = version_id
        self.revision = revision  # the dataset's revision at which it was known active
        self.tables = tables
        self._store = store
        self._lookups = {table: store.lookup(table) for table in tables}

    def at_revision(self, revision: int) -> ServedVersion:
        return ServedVersion(self.version_id, revision, self._store, self.tables)

    @property
    def store(self) -> VersionStore:
        return self._store

    def get(self, table: str, key: str) -> bytes:
        lookup = self._lookups.get(table)
        value = lookup(key) if lookup is not None else None
        if value is None:
            raise self._miss(table, key)
        return value

    def get_many(self, table: str, keys: Iterable[str]) -> Entries:
        wanted = list(dict.fromkeys(keys))
        if table not in self.tables:
            raise self._miss(table, wanted[0] if wanted else "")
        values: dict[str, bytes] = {}
        missing: list[str] = []
        for key, value in zip(wanted, self._store.get_many(table, wanted), strict=True):
            if value is None:
                missing.append(key)
            else:
                values[key] = value
        return Entries(self.version_id, values, missing)

    def _miss(self, table: str, key: str) -> Exception:
        if table not in self.tables:
            return ValueError(f"table {table!r} is not replicated (tables: {sorted(self.tables)})")
        details = {"key": key, "version": self.version_id}
        return KeyNotFound(404, "key does not exist", "key-not-found", details)
