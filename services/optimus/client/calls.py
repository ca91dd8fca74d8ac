"""The API's requests and answers, without I/O: shared by the sync and async clients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from optimus.client.errors import error_from_response

VERSION_HEADER = "x-version-id"
ACTIVE_VERSION_HEADER = "x-active-version-id"
USER_HEADER = "x-optimus-user"
# Keys of a get-many go in the query string (no GET body, which some proxies drop)
# while the URL stays short; beyond that, in a JSON body as Optimus documents.
MAX_QUERY_KEYS_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    params: list[tuple[str, str]] | None = None
    body: bytes | None = None

    def to_request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        headers = {"content-type": "application/json"} if self.body is not None else None
        return http.build_request(
            self.method, self.path, params=self.params, content=self.body, headers=headers
        )


def _segment(name: str) -> str:
    return quote(name, safe="")


def _json(body: Any) -> bytes:
    return orjson.dumps(body)


def _pin(version_id: str | None) -> list[tuple[str, str]]:
    return [("version-id", version_id)] if version_id is not None else []


def _reason(reason: str | None) -> bytes | None:
    return _json({"reason": reason}) if reason is not None else None


def _track(track: str | None) -> list[tuple[str, str]]:
    return [("track", track)] if track is not None else []


def _entry_path(dataset: str, table: str, key: str) -> str:
    return f"datasets/{_segment(dataset)}/tables/{_segment(table)}/entries/{_segment(key)}"


def entry(
    dataset: str, table: str, key: str, version_id: str | None, track: str | None = None
) -> Call:
    return Call("GET", _entry_path(dataset, table, key), _pin(version_id) + _track(track) or None)


def entries(
    dataset: str,
    table: str,
    keys: Sequence[str],
    version_id: str | None,
    track: str | None = None,
) -> Call:
    path = f"datasets/{_segment(dataset)}/tables/{_segment(table)}/entries"
    params = _pin(version_id) + _track(track)
    if sum(len(key) + 5 for key in keys) <= MAX_QUERY_KEYS_CHARS:
        return Call("GET", path, params + [("key", key) for key in keys])
    return Call("GET", path, params or None, _json([{"key": key} for key in keys]))


def history(dataset: str, table: str, key: str) -> Call:
    return Call("GET", _entry_path(dataset, table, key) + "/history")


def diff(version_id: str, against: str | None) -> Call:
    params = [("against", against)] if against is not None else None
    return Call("GET", f"versions/{_segment(version_id)}/diff", params)


def diff_entries(
    version_id: str,
    against: str | None,
    table: str | None,
    change: str | None,
    cursor: str | None,
    limit: int,
) -> Call:
    named = {"against": against, "table": table, "change": change, "cursor": cursor}
    params = [(name, value) for name, value in named.items() if value is not None]
    params.append(("limit", str(limit)))
    return Call("GET", f"versions/{_segment(version_id)}/diff/entries", params)


def pull(
    dataset: str,
    table: str,
    keys: Sequence[str],
    pattern: Sequence[Any],
    version_id: str | None,
    as_of: str | None,
) -> Call:
    """A pull pattern (Python data: lists, dicts, strings) over `keys` (docs/reads.md)."""
    body: dict[str, Any] = {"table": table, "keys": list(keys), "pattern": list(pattern)}
    if version_id is not None:
        body["version-id"] = version_id
    params = [("as-of", as_of)] if as_of is not None else None
    return Call("POST", f"datasets/{_segment(dataset)}/pull", params, _json(body))


def datasets() -> Call:
    return Call("GET", "datasets")


def dataset(name: str) -> Call:
    return Call("GET", f"datasets/{_segment(name)}")


def create_dataset(
    name: str,
    tables: Sequence[str],
    content_type: str | None,
    eviction_policy: Mapping[str, Any] | None,
    publish_gates: Mapping[str, Any] | None = None,
) -> Call:
    body: dict[str, Any] = {"name": name, "tables": list(tables)}
    if content_type is not None:
        body["content-type"] = content_type
    if eviction_policy is not None:
        body["eviction-policy"] = dict(eviction_policy)
    if publish_gates is not None:
        body["publish-gates"] = dict(publish_gates)
    return Call("POST", "datasets", body=_json(body))


def versions(dataset: str) -> Call:
    return Call("GET", "versions", [("dataset", dataset)])


def version(version_id: str) -> Call:
    return Call("GET", f"versions/{_segment(version_id)}")


def create_version(
    dataset: str, label: str | None, verification_policy: Mapping[str, Any] | None
) -> Call:
    body: dict[str, Any] = {"dataset": dataset}
    if label is not None:
        body["label"] = label
    if verification_policy is not None:
        body["verification-policy"] = dict(verification_policy)
    return Call("POST", "versions", body=_json(body))


def load_entries(dataset: str, version_id: str, body: bytes) -> Call:
    """`body` is a JSON array of {table, key, value}, already encoded (the loader builds it)."""
    return Call("POST", f"datasets/{_segment(dataset)}", _pin(version_id), body)


def transition(
    version_id: str, action: str, reason: str | None, *, wait_replicas: bool = False
) -> Call:
    """publish, stage, unstage or discard; with `wait_replicas`, a publish returns once every
    replica serves the version."""
    params = {"wait": "replicas"} if wait_replicas else None
    return Call("POST", f"versions/{_segment(version_id)}/{action}", params, _reason(reason))


def forced_publish(version_id: str, reason: str) -> Call:
    """A publish that overrides failed publish gates (the reason is recorded)."""
    body = _json({"force": True, "reason": reason})
    return Call("POST", f"versions/{_segment(version_id)}/publish", body=body)


def save(
    version_id: str, reason: str | None, verification_policy: Mapping[str, Any] | None
) -> Call:
    """A `verification_policy` here replaces the version's (e.g. the input's digest)."""
    body: dict[str, Any] = {}
    if reason is not None:
        body["reason"] = reason
    if verification_policy is not None:
        body["verification-policy"] = dict(verification_policy)
    return Call("POST", f"versions/{_segment(version_id)}/save", body=_json(body) if body else None)


def excise(dataset: str, table: str, keys: Sequence[str], reason: str) -> Call:
    body = {"table": table, "keys": list(keys), "reason": reason}
    return Call("POST", f"datasets/{_segment(dataset)}/excise", body=_json(body))


def checked(response: httpx.Response) -> httpx.Response:
    """The response if it is a success, else its typed error."""
    if response.status_code >= 400:
        raise error_from_response(response.status_code, response.content)
    return response


def json_of(response: httpx.Response) -> Any:
    return orjson.loads(checked(response).content)
