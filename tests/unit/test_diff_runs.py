"""Comparing one run of keys of two versions: every key lands in exactly one kind of change."""

from __future__ import annotations

import random

from optimus.domain.diff import Fingerprints, compare_run, count_run


def _run(entries: dict[str, bytes]) -> Fingerprints:
    keys = sorted(entries)
    return Fingerprints(keys, [entries[key] for key in keys])


def test_a_run_lists_added_removed_and_changed_keys_in_key_order() -> None:
    old = _run({"a": b"1", "b": b"2", "c": b"3", "e": b"5"})
    new = _run({"b": b"2", "c": b"30", "d": b"4", "e": b"5"})

    changes = compare_run(old, new)

    assert (changes.added, changes.removed, changes.changed) == (["d"], ["a"], ["c"])
    assert changes.unchanged == 2
    counts = count_run(old, new)
    assert (counts.added, counts.removed, counts.changed, counts.unchanged) == (1, 1, 1, 2)


def test_counts_agree_with_the_listing_on_random_runs() -> None:
    rng = random.Random(7)
    for _ in range(50):
        old = {f"k{rng.randrange(60):02d}": bytes([rng.randrange(3)]) for _ in range(40)}
        new = {f"k{rng.randrange(60):02d}": bytes([rng.randrange(3)]) for _ in range(40)}
        changes = compare_run(_run(old), _run(new))
        both = old.keys() & new.keys()
        assert changes.added == sorted(new.keys() - old.keys())
        assert changes.removed == sorted(old.keys() - new.keys())
        assert changes.changed == sorted(k for k in both if old[k] != new[k])
        assert changes.unchanged == sum(1 for k in both if old[k] == new[k])
        counts = count_run(_run(old), _run(new))
        assert counts.to_dict() == {
            "added": len(changes.added),
            "removed": len(changes.removed),
            "changed": len(changes.changed),
            "unchanged": changes.unchanged,
        }


def test_taking_a_run_through_a_bound_leaves_the_keys_after_it() -> None:
    pending = _run({"a": b"1", "b": b"2", "d": b"4"})

    taken = pending.take_through("c")

    assert (taken.keys, taken.prints) == (["a", "b"], [b"1", b"2"])
    assert (pending.keys, pending.prints) == (["d"], [b"4"])
    assert pending.take_through(None).keys == ["d"] and pending.keys == []
