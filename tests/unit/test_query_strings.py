"""The read path's query parsing gives what the stdlib's parse_qs gives, for every query."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from optimus.entrypoints.api.fast_reads import parse_query

QUERIES = [
    "",
    "track=candidate",
    "version-id=abc&track=candidate",
    "a",
    "a=",
    "=x",
    "a==b",
    "a=1&&b=2",
    "&",
    "a=1&a=2",
    "a=1;b=2",
    "track=%63andidate",
    "key=a+b&key=c",
    "as-of=2026-12-01T10:00:00Z",
    "caf\xe9=1",
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_query_parses_as_the_stdlib_parses_it(query: str) -> None:
    assert parse_query(query.encode("latin-1")) == parse_qs(query, keep_blank_values=True)
