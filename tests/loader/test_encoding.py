"""Encoding computes, before sending, the stored bytes and the digest the server will find."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from optimus.domain.digest import stats_of
from optimus.loader.encoding import EncodingRules, encode_batch
from optimus.loader.mapping import ValueFormat
from optimus.loader.readers import RawBatch
from optimus.loader.sources import Format, Source

KEY_CHARS = st.sampled_from("abcXYZ019-_.")
keys = st.text(KEY_CHARS, min_size=1, max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
RULES = EncodingRules("ds", frozenset({"a", "bb"}), "application/json", 1 << 20, ValueFormat.AUTO)
SOURCE = Source("/in.jsonl", Format.JSONL, None, 0, 0)


def _raw(rows: list[tuple[str, object, object]]) -> RawBatch:
    return RawBatch(
        0,
        0,
        lines=list(range(1, len(rows) + 1)),
        tables=[t for t, _, _ in rows],
        keys=[k for _, k, _ in rows],
        values=[v for _, _, v in rows],
    )


@given(st.lists(st.tuples(st.sampled_from(["a", "bb"]), keys, json_values), max_size=30))
def test_the_batch_digest_is_the_domain_digest_of_the_stored_entries(rows: list) -> None:
    batch = encode_batch(_raw(rows), SOURCE, RULES)
    valid = [r for r in rows if r[1] not in (".", "..")]
    assert len(batch.entries) == len(valid)
    expected = stats_of(batch.entries)
    assert batch.stats.digest == expected.digest
    assert batch.stats.counts == expected.counts


def test_each_bad_key_is_found_whatever_the_batch_holds() -> None:
    raw = _raw(
        [
            ("a", "ok", 1),
            ("a", ".", 2),
            ("a", "..", 3),
            ("a", "", 4),
            ("a", "x" * 1025, 5),
            ("a", "new\nline", 6),
            ("a", None, 7),
            ("a", 12, 8),  # integers are written in decimal
            ("a", 1.5, 9),
        ]
    )
    batch = encode_batch(raw, SOURCE, RULES)
    assert [key for _, key, _ in batch.entries] == ["ok", "12"]
    assert [row.line for row in batch.bad] == [2, 3, 4, 5, 6, 7, 9]
    assert batch.bad[2].reason == "missing key"


def test_text_datasets_take_strings_only() -> None:
    rules = EncodingRules("ds", frozenset({"a"}), "text/plain", 10, ValueFormat.AUTO)
    batch = encode_batch(
        _raw([("a", "k1", "héllo"), ("a", "k2", 5), ("a", "k3", "x" * 11)]), SOURCE, rules
    )
    assert batch.entries == [("a", "k1", "héllo".encode())]
    assert [row.reason for row in batch.bad] == [
        "value must be a string for content-type text/plain",
        "value is 11 bytes, more than 10",
    ]
