"""The entry reads, answered before FastAPI's routing, validation and middleware.

Reads are the hot path of every consumer. Through FastAPI's router a
single-key GET costs ~150 µs of CPU and a get-many of 100 keys ~600 µs
besides its lookups; here ~45 µs (HTTP included) and ~130 µs, so the server
answers several times more requests per core. This dispatcher is the only
implementation of `GET /v1/datasets/{dataset}/tables/{table}/entries[/{key}]`
(`read_paths` describes them in the OpenAPI document); everything else goes on
to FastAPI. Errors are rendered by the app's `ErrorMapper`, as FastAPI's are.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from time import perf_counter
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from optimus.entrypoints.api.audit_trail import PRINCIPAL
from optimus.entrypoints.api.entry_responses import (
    ERROR_HEADERS,
    render_entries,
    render_entry,
    version_headers,
)
from optimus.entrypoints.api.error_mapping import ErrorMapper, Rendered
from optimus.entrypoints.api.metrics import ENTRIES_ROUTE, ENTRY_ROUTE, RequestCounts
from optimus.entrypoints.api.request_ids import REQUEST_ID_HEADER, RequestIdSource
from optimus.entrypoints.api.request_input import keys_to_read, receive_body
from optimus.service_layer.metering import LATENCY_BOUNDS_S
from optimus.service_layer.reads import EntryRead, EntryReader

log = logging.getLogger(__name__)

_PREFIX = "/v1/datasets/"
_HEADER_CACHE_SIZE = 1024

Headers = list[tuple[bytes, bytes]]
Response = tuple[int, Headers, bytes]


def read_route(path: str) -> list[str] | None:
    """[dataset, table, key] or [dataset, table] if `path` is an entry read's, else None."""
    if path.startswith(_PREFIX):
        parts = path.split("/")
        # ["", "v1", "datasets", dataset, "tables", table, "entries", key?]
        if len(parts) == 8 and parts[4] == "tables" and parts[6] == "entries" and parts[7]:
            return [parts[3], parts[5], parts[7]]
        if len(parts) == 7 and parts[4] == "tables" and parts[6] == "entries":
            return [parts[3], parts[5]]
    return None


def parse_query(query: bytes) -> dict[str, list[str]]:
    """The query string as `parse_qs(keep_blank_values=True)` gives it."""
    if not query:
        return {}
    text = query.decode("latin-1")
    if "%" in text or "+" in text:  # escapes: the stdlib decodes them
        return parse_qs(text, keep_blank_values=True)
    # Without escapes (a read's ?track=, ?version-id=) a split gives the same for a third
    # of the cost: parse_qs alone is a few percent of a single-key read's CPU.
    params: dict[str, list[str]] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            params.setdefault(name, []).append(value)
    return params


def _last(query: dict[str, list[str]], name: str) -> str | None:
    # As FastAPI reads a scalar query parameter: the last one given.
    values = query.get(name)
    return values[-1] if values else None


def _track(scope: Scope, query: dict[str, list[str]] | None) -> str | None:
    # As `request_input.track_asked`: ?track= if given, else the x-optimus-track header.
    values = query.get("track") if query else None
    if values:
        return values[-1]
    for name, value in scope["headers"]:
        if name == b"x-optimus-track":
            return value.decode("latin-1")
    return None


def _content_length(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.decode("latin-1")
    return None


class FastEntryReads:
    def __init__(
        self,
        app: ASGIApp,
        reader: EntryReader,
        errors: ErrorMapper,
        max_request_bytes: int,
        ids: RequestIdSource,
        counts: RequestCounts | None = None,
    ) -> None:
        self.app = app
        self._ids = ids
        # Where the requests answered here are counted, if they are (those handed on, by `app`).
        self._one_counts = counts.of("GET", ENTRY_ROUTE) if counts is not None else None
        self._many_counts = counts.of("GET", ENTRIES_ROUTE) if counts is not None else None
        self._reader = reader
        self._errors = errors
        self._max_request_bytes = max_request_bytes
        # Encoded headers of a found entry depend only on the dataset's view, the version
        # read, whether it was pinned and the track that answered: encoding them once per
        # (dataset, revision, version, pinned, track) saves a sizeable share of the CPU.
        self._found_headers: dict[tuple[str, int, str, bool, str | None], Headers] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            route = read_route(scope["path"])  # uvicorn has already percent-decoded it
            if route is not None:
                if len(route) == 3:
                    await self._serve_one(scope, send, *route)
                else:
                    await self._serve_many(scope, receive, send, *route)
                return
        await self.app(scope, receive, send)

    async def _serve_one(
        self, scope: Scope, send: Send, dataset: str, table: str, key: str
    ) -> None:
        # The hottest path of the product: written flat, without helper coroutines.
        started = perf_counter()
        query = scope["query_string"]
        try:
            if query:
                params = parse_query(query)
                version_id, as_of = _last(params, "version-id"), _last(params, "as-of")
            else:
                params = None
                version_id = as_of = None
            reader = scope.get(PRINCIPAL)  # None with auth off
            read = await self._reader.read_one(
                dataset, table, key, version_id, reader, _track(scope, params), as_of
            )
        except Exception as exc:
            status, headers, body = self._error(exc)
        else:
            body = read.value
            pinned = version_id is not None
            if body is None:
                status, headers, body = _response(render_entry(read, key, pinned=pinned))
            else:
                status = 200
                headers = [*self._headers_of(read, pinned), (b"content-length", b"%d" % len(body))]
        headers.append((REQUEST_ID_HEADER, self._ids.of(scope)))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        counts = self._one_counts
        if counts is not None:  # RouteCounts.record, inlined: a few list and dict increments
            counts.statuses[status] = counts.statuses.get(status, 0) + 1
            elapsed = perf_counter() - started
            latency = counts.latency
            latency.counts[bisect_left(LATENCY_BOUNDS_S, elapsed)] += 1
            latency.total += elapsed

    async def _serve_many(
        self, scope: Scope, receive: Receive, send: Send, dataset: str, table: str
    ) -> None:
        started = perf_counter()
        try:
            body = await receive_body(receive, _content_length(scope), self._max_request_bytes)
            query = parse_query(scope["query_string"])
            keys = keys_to_read(body, query.get("key"))
            version_id, as_of = _last(query, "version-id"), _last(query, "as-of")
            reader = scope.get(PRINCIPAL)
            read = await self._reader.read_many(
                dataset, table, keys, version_id, reader, _track(scope, query), as_of
            )
            response = _response(render_entries(read, pinned=version_id is not None))
        except Exception as exc:
            response = self._error(exc)
        status, headers, body = response
        headers.append((REQUEST_ID_HEADER, self._ids.of(scope)))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if self._many_counts is not None:
            self._many_counts.record(status, perf_counter() - started)

    def _error(self, exc: Exception) -> Response:
        rendered = self._errors.render(exc)
        if rendered.status == 500:  # unexpected (FastAPI's are logged by Starlette)
            log.error("read failed: %r", exc, exc_info=exc)
        rendered.headers.update(ERROR_HEADERS)
        return _response(rendered)

    def _headers_of(self, read: EntryRead, pinned: bool) -> Headers:
        view = read.view
        cache_key = (view.name, view.revision, read.version_id, pinned, read.track)
        headers = self._found_headers.get(cache_key)
        if headers is None:
            if len(self._found_headers) >= _HEADER_CACHE_SIZE:
                self._found_headers.clear()
            found = version_headers(view, read.version_id, pinned=pinned, track=read.track)
            headers = self._found_headers[cache_key] = _encoded(view.content_type, found)
        return headers


def _encoded(content_type: str, others: dict[str, str]) -> Headers:
    headers = [(b"content-type", content_type.encode())]
    headers.extend((name.encode(), value.encode()) for name, value in others.items())
    return headers


def _response(rendered: Rendered) -> Response:
    headers = [
        *_encoded(rendered.content_type, rendered.headers),
        (b"content-length", b"%d" % len(rendered.body)),
    ]
    return rendered.status, headers, rendered.body
