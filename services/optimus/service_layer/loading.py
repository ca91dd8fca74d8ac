"""Loading entries into a version: validate and encode a batch, then write it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimus.domain.errors import Conflict, InvalidInput, NotFound, TooLarge, unknown_version
from optimus.domain.json_values import parsed_value, value_bytes
from optimus.domain.names import KEY_RULE, is_valid_key
from optimus.domain.version import VersionStatus, require_loadable
from optimus.service_layer.layers import retraction_batch
from optimus.service_layer.metering import Meter
from optimus.service_layer.ports import Batch, DatasetHost, Entry, EntryStore, WriteFence
from optimus.service_layer.schemas import Validators, VersionValidators
from optimus.service_layer.views import DatasetView, current_view, refreshed_view

MAX_REPORTED_PROBLEMS = 20
MAX_REPORTED_SCHEMA_ERRORS = 100


@dataclass(frozen=True, slots=True)
class Limits:
    max_value_bytes: int = 1 << 20
    max_batch_entries: int = 100_000


def _problem(index: int, item: object, reason: str) -> dict[str, Any]:
    key = item.get("key") if isinstance(item, dict) else None
    return {"index": index, "key": key if isinstance(key, str) else None, "reason": reason}


def encode_entries(
    view: DatasetView,
    items: object,
    *,
    table: str | None,
    limits: Limits,
    validators: Validators | None = None,
) -> list[Entry]:
    """Validate a whole batch and encode every value to its stored bytes.

    `items` is a body parsed by `parse_exactly`: each value is stored as the exact
    JSON text the caller sent (JSON datasets), or as the string it holds (others).

    All or nothing: any bad item rejects the batch with a list of problems
    (index, key, reason), so a retry after fixing the input is clean.
    `table` is the table named in the URL, or None when each item names one;
    `validators` check the values of the tables that have a JSON Schema.
    """
    if not isinstance(items, list):
        raise InvalidInput("the request body must be a JSON array of entries")
    if not items:
        raise InvalidInput("the request body holds no entries")
    if len(items) > limits.max_batch_entries:
        raise TooLarge(
            f"a batch holds at most {limits.max_batch_entries} entries, got {len(items)}",
            limit=limits.max_batch_entries,
        )
    tables = view.tables
    as_json = view.is_json
    max_bytes = limits.max_value_bytes
    entries: list[Entry] = []
    problems: list[dict[str, Any]] = []
    oversized: list[dict[str, Any]] = []
    # Per table with a schema: the indexes and values of its entries, validated together.
    checked: dict[str, tuple[list[int], list[Any]]] = {}
    for index, item in enumerate(items):
        if type(item) is not dict:
            problems.append(_problem(index, item, "an entry must be a JSON object"))
            continue
        entry_table = table if table is not None else item.get("table")
        if entry_table not in tables:
            reason = (
                "missing 'table'"
                if entry_table is None
                else f"table {entry_table!r} does not exist in dataset {view.name!r}"
            )
            problems.append(_problem(index, item, reason))
            continue
        key = item.get("key")
        if not is_valid_key(key):
            problems.append(
                _problem(
                    index,
                    item,
                    "missing 'key'" if key is None else f"key must be {KEY_RULE}",
                )
            )
            continue
        if "value" not in item:
            problems.append(_problem(index, item, "missing 'value'"))
            continue
        value = item["value"]
        if validators and entry_table in validators:
            checked.setdefault(entry_table, ([], []))
            checked[entry_table][0].append(index)
            checked[entry_table][1].append(parsed_value(value))  # what the text means
        if as_json:
            data = value_bytes(value)  # exactly as sent
        elif type(text := parsed_value(value)) is str:
            data = text.encode()
        else:
            problems.append(
                _problem(
                    index, item, f"value must be a string for content-type {view.content_type}"
                )
            )
            continue
        if len(data) > max_bytes:
            oversized.append(_problem(index, item, f"value is {len(data)} bytes"))
            continue
        entries.append((entry_table, key, data))
    if problems:
        raise InvalidInput(
            f"{len(problems)} of {len(items)} entries are invalid; nothing was written",
            code="invalid-entries",
            problems=problems[:MAX_REPORTED_PROBLEMS],
        )
    invalid = [
        {"index": indexes[i], "key": items[indexes[i]]["key"], "message": error}
        for table, (indexes, values) in checked.items()
        for i, error in validators[table].errors(values)  # type: ignore[index]
    ]
    if invalid:
        invalid.sort(key=lambda problem: problem["index"])
        raise InvalidInput(
            f"{len(invalid)} of {len(items)} entries do not match their table's schema; "
            "nothing was written",
            code="schema-violation",
            problems=invalid[:MAX_REPORTED_SCHEMA_ERRORS],
        )
    if oversized:
        raise TooLarge(
            f"{len(oversized)} values exceed {max_bytes} bytes; nothing was written",
            code="value-too-large",
            limit=max_bytes,
            problems=oversized[:MAX_REPORTED_PROBLEMS],
        )
    if len({(entry_table, key) for entry_table, key, _ in entries}) != len(entries):
        _refuse_duplicates(entries)
    return entries


def _refuse_duplicates(entries: list[Entry]) -> None:
    """A key twice in one batch: which value wins is the caller's mistake, so none is stored."""
    first: dict[tuple[str, str], int] = {}
    problems: list[dict[str, Any]] = []
    for index, (table, key, _) in enumerate(entries):
        earlier = first.setdefault((table, key), index)
        if earlier != index:
            reason = f"key {key!r} of table {table!r} is also at index {earlier}"
            problems.append({"index": index, "key": key, "reason": reason})
    keys = sorted({problem["key"] for problem in problems})
    raise InvalidInput(
        f"{len(problems)} entries repeat a key of the batch ({', '.join(keys[:5])}"
        f"{', …' if len(keys) > 5 else ''}); nothing was written",
        code="duplicate-keys",
        keys=keys[:MAX_REPORTED_PROBLEMS],
        problems=problems[:MAX_REPORTED_PROBLEMS],
    )


def retracted_keys(items: object, limits: Limits) -> list[str]:
    """The keys of a retraction body [{"key": …}, …], all valid or none written."""
    if not isinstance(items, list) or not items:
        raise InvalidInput('the request body must be a non-empty JSON array [{"key": "k1"}, …]')
    if len(items) > limits.max_batch_entries:
        raise TooLarge(
            f"a batch holds at most {limits.max_batch_entries} keys, got {len(items)}",
            limit=limits.max_batch_entries,
        )
    keys = [item.get("key") if isinstance(item, dict) else None for item in items]
    problems = [
        _problem(index, item, f"key must be {KEY_RULE}")
        for index, (item, key) in enumerate(zip(items, keys, strict=True))
        if not is_valid_key(key)
    ]
    if problems:
        raise InvalidInput(
            f"{len(problems)} of {len(items)} keys are invalid; nothing was retracted",
            code="invalid-entries",
            problems=problems[:MAX_REPORTED_PROBLEMS],
        )
    return keys  # type: ignore[return-value]


class EntryLoader:
    def __init__(
        self,
        host: DatasetHost,
        store: EntryStore,
        fence: WriteFence,
        limits: Limits,
        meter: Meter | None = None,
    ) -> None:
        self._host = host
        self._store = store
        self._fence = fence
        self.limits = limits
        self._validators = VersionValidators(host)
        self._meter = meter if meter is not None else Meter()

    async def load(
        self, dataset: str, version_id: str, items: object, *, table: str | None = None
    ) -> int:
        """Write a batch to a version that is AWAITING_ENTRIES; returns the entries written."""
        view = await current_view(self._host, dataset)
        if table is not None:
            view.check_table(table)
        if view.statuses.get(version_id) is not VersionStatus.AWAITING_ENTRIES:
            view = await refreshed_view(self._host, dataset)  # the local view may lag
            self._check_loadable(view, version_id)
        validators = await self._validators.of(dataset, version_id)
        entries = encode_entries(
            view, items, table=table, limits=self.limits, validators=validators
        )
        batch = Batch(dataset, version_id, entries)
        meter = self._meter
        async with self._fence.writing(batch):
            meter.batches_in_flight += 1
            try:
                await self._store.write(batch)
            finally:
                meter.batches_in_flight -= 1
        meter.entries_loaded += len(entries)
        return len(entries)

    async def retract(self, dataset: str, version_id: str, table: str, items: object) -> int:
        """Remove keys from a patch version that is AWAITING_ENTRIES; returns the keys retracted."""
        view = await refreshed_view(self._host, dataset)
        view.check_table(table)
        self._check_loadable(view, version_id)
        if version_id not in view.layers:
            raise Conflict(
                f"version {version_id} is not a patch version; only a patch retracts keys "
                "(of its base)",
                code="not-a-patch",
                version=version_id,
            )
        keys = retracted_keys(items, self.limits)
        batch = retraction_batch(dataset, version_id, table, keys)
        async with self._fence.writing(batch):
            await self._store.write(batch)
        return len(keys)

    def _check_loadable(self, view: DatasetView, version_id: str) -> None:
        status = view.statuses.get(version_id)
        if status is None:
            owner = self._host.views.dataset_of_version(version_id)
            if owner is not None:
                raise NotFound(  # as a read of the version through this dataset answers
                    f"version {version_id} does not exist in dataset {view.name!r}; it belongs "
                    f"to dataset {owner!r}",
                    code="version-not-in-dataset",
                    version=version_id,
                    dataset=owner,
                )
            raise unknown_version(version_id)
        require_loadable(version_id, status)
