from hypothesis import given
from hypothesis import strategies as st

from optimus.domain.digest import DIGEST_PREFIX, EntryStats, entry_hash, stats_of

names = st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=8)
entries = st.dictionaries(st.tuples(names, names), st.binary(max_size=32), max_size=40).map(
    lambda d: [(table, key, value) for (table, key), value in d.items()]
)


@given(entries, st.randoms())
def test_digest_does_not_depend_on_order(items, rnd) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert stats_of(items).digest == stats_of(shuffled).digest


@given(entries, st.integers(min_value=1, max_value=7))
def test_digest_does_not_depend_on_batching(items, batch_size) -> None:
    merged = EntryStats()
    for start in range(0, len(items), batch_size):
        merged.merge(stats_of(items[start : start + batch_size]))
    whole = stats_of(items)
    assert merged.digest == whole.digest
    assert merged.counts == whole.counts


def test_digest_changes_with_any_part_of_an_entry() -> None:
    base = stats_of([("t", "k", b"v")]).digest
    assert stats_of([("t", "k", b"w")]).digest != base
    assert stats_of([("t", "j", b"v")]).digest != base
    assert stats_of([("u", "k", b"v")]).digest != base
    # length prefixes keep (table, key) boundaries apart
    assert entry_hash("ab", "c", b"") != entry_hash("a", "bc", b"")


def test_counts_per_table_and_format() -> None:
    stats = stats_of([("a", "1", b"x"), ("a", "2", b"y"), ("b", "1", b"z")])
    assert stats.counts == {"a": 2, "b": 1}
    assert stats.total == 3
    assert stats.digest.startswith(DIGEST_PREFIX)
    assert len(stats.digest) == len(DIGEST_PREFIX) + 64
    assert EntryStats().digest == DIGEST_PREFIX + "0" * 64


def test_adding_a_table_s_entries_at_once_digests_like_one_by_one() -> None:
    keys, values = [f"k{i}" for i in range(50)], [b"v%d" % i for i in range(50)]
    one_by_one, at_once = EntryStats(), EntryStats()
    for key, value in zip(keys, values, strict=True):
        one_by_one.add("t", key, value)
    at_once.add_many("t", keys[:20], values[:20])
    at_once.add_many("t", keys[20:], values[20:])
    assert (at_once.counts, at_once.digest) == (one_by_one.counts, one_by_one.digest)
