"""Pull evaluation without I/O: it asks for the keys of each level, once per table."""

import orjson
import pytest

from optimus.domain.errors import InvalidInput
from optimus.domain.pull import Pull, compile_pattern

TABLES = {"users", "items"}
STORE = {
    ("users", "u1"): {"name": "Ann", "items": ["i1", "i2"], "best": "i1"},
    ("users", "u2"): {"name": "Bo", "items": ["i2"]},
    ("items", "i1"): {"title": "One"},
    ("items", "i2"): {"title": "Two"},
}


def test_each_level_asks_once_for_every_key_it_needs_per_table() -> None:
    pattern = compile_pattern(
        ["name", {"items": {"table": "items"}}, {"best": {"table": "items", "pattern": ["title"]}}],
        TABLES,
    )
    pull = Pull("users", ["u1", "u2", "u1"], pattern)
    levels = []
    while wanted := pull.wanted():
        levels.append(wanted)
        pull.supply(
            {
                (table, key): orjson.dumps(STORE[table, key])
                for table, keys in wanted.items()
                for key in keys
                if (table, key) in STORE
            }
        )
    assert levels == [{"users": ["u1", "u2"]}, {"items": ["i1", "i2"]}]
    ann = {"name": "Ann", "items": [{"title": "One"}, {"title": "Two"}], "best": {"title": "One"}}
    assert pull.results == [ann, {"name": "Bo", "items": [{"title": "Two"}]}, ann]
    pull.results[0]["name"] = "changed"
    assert pull.results[2]["name"] == "Ann"  # results never share objects


@pytest.mark.parametrize(
    "pattern",
    [["a", "*", {"b": {"table": "users", "recurse": 0}}], [{"a.": {}}], [{"a": 1}], ["*", 2]],
)
def test_malformed_patterns_are_refused_before_anything_is_read(pattern) -> None:
    with pytest.raises(InvalidInput):
        compile_pattern(pattern, TABLES)
