"""Pull patterns: which fields of JSON values to give back, following references across tables.

A pattern is data (JSON), compiled once by `compile_pattern`. `Pull` evaluates it
level by level without any I/O: it says which keys of which tables it wants next
(`wanted`), is given their values (`supply`), and builds the results. So values
are read in one batch per table per level, never one call per reference.

Specs of a pattern:
    "field", "a.b"      the field (a dotted path nests the result the same way)
    "*"                 every field of the value
    {"field": options}  options: "as" (name in the result), "limit" (items of a list),
                        "default" (when the field or the referenced key is missing),
                        "table" + "pattern" (follow the key or keys the field holds),
                        "recurse": N (follow a reference with the enclosing pattern,
                        at most N levels deep: a cycle stops there, giving the key)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from optimus.domain.errors import InvalidInput
from optimus.domain.names import is_valid_key

MAX_DEPTH = 5  # patterns nested inside patterns
MAX_SPECS = 64  # specs in the whole pattern, nested ones included
MAX_RECURSE = 8
MAX_ROOT_KEYS = 1000
MAX_PULLED_VALUES = 100_000  # values read by one pull, all levels together

_OPTIONS = frozenset({"as", "limit", "default", "table", "pattern", "recurse"})
_NO_DEFAULT = object()


def _invalid(message: str, code: str = "invalid-pattern", **details: Any) -> InvalidInput:
    return InvalidInput(message, code=code, **details)


@dataclass(frozen=True, slots=True, eq=False)
class Spec:
    """One field to give back, and how; `table` set: the field holds references."""

    path: tuple[str, ...]
    name: tuple[str, ...]  # where the result puts it
    limit: int | None = None
    default: Any = _NO_DEFAULT
    table: str | None = None
    pattern: Pattern | None = None  # None with `table`: the enclosing pattern (recursion)
    recurse: int | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Pattern:
    star: bool
    specs: tuple[Spec, ...]


@dataclass(slots=True)
class _Budget:
    specs: int = 0


def compile_pattern(raw: object, tables: Collection[str]) -> Pattern:
    """The pattern, checked against the dataset's tables and the limits (400 beyond them)."""
    return _compile(raw, tables, depth=1, budget=_Budget(), where="pattern")


def _compile(raw: object, tables: Collection[str], *, depth: int, budget: _Budget, where: str):
    if depth > MAX_DEPTH:
        raise _invalid(f"patterns nest at most {MAX_DEPTH} deep", "pattern-too-deep")
    if not isinstance(raw, list) or not raw:
        raise _invalid(f"{where} must be a non-empty list of specs", where=where)
    star = False
    specs: list[Spec] = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        budget.specs += 1
        if budget.specs > MAX_SPECS:
            raise _invalid(f"a pattern holds at most {MAX_SPECS} specs", "pattern-too-wide")
        if item == "*":
            star = True
        elif isinstance(item, str):
            specs.append(Spec(_path(item, at), _path(item, at)))
        elif isinstance(item, dict) and len(item) == 1:
            ((name, options),) = item.items()
            specs.append(_option_spec(name, options, tables, depth, budget, at))
        else:
            raise _invalid(
                f'{at} must be a field name, "*" or {{"<field>": {{options}}}}', where=at
            )
    return Pattern(star, tuple(specs))


def _path(text: object, at: str) -> tuple[str, ...]:
    parts = tuple(text.split(".")) if isinstance(text, str) else ()
    if not parts or not all(parts):
        raise _invalid(f"{at}: a field is a name or a dotted path such as a.b", where=at)
    return parts


def _option_spec(
    name: str, options: object, tables: Collection[str], depth: int, budget: _Budget, at: str
) -> Spec:
    path = _path(name, at)
    if not isinstance(options, dict):
        raise _invalid(f"{at}: the options of {name!r} must be an object", where=at)
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise _invalid(f"{at}: unknown options {unknown}", where=at, allowed=sorted(_OPTIONS))
    as_name = options.get("as", name)
    if not isinstance(as_name, str) or not as_name:
        raise _invalid(f"{at}: 'as' must be a non-empty string", where=at)
    limit = options.get("limit")
    if limit is not None and (type(limit) is not int or limit < 0):
        raise _invalid(f"{at}: 'limit' must be a non-negative integer", where=at)
    table = options.get("table")
    recurse = options.get("recurse")
    pattern = None
    if table is not None:
        if table not in tables:
            raise _invalid(f"{at}: table {table!r} is not a table of the dataset", where=at)
        if recurse is not None:
            if "pattern" in options:
                raise _invalid(f"{at}: 'recurse' follows the enclosing pattern", where=at)
            if type(recurse) is not int or not 1 <= recurse <= MAX_RECURSE:
                raise _invalid(
                    f"{at}: 'recurse' must be 1..{MAX_RECURSE}", "recursion-too-deep", where=at
                )
        else:
            nested = options.get("pattern", ["*"])
            pattern = _compile(
                nested, tables, depth=depth + 1, budget=budget, where=f"{at}.pattern"
            )
    elif "pattern" in options or recurse is not None:
        raise _invalid(f"{at}: 'pattern' and 'recurse' need a 'table' to follow", where=at)
    result_name = (as_name,) if "as" in options else path
    default = options.get("default", _NO_DEFAULT)
    return Spec(path, result_name, limit, default, table, pattern, recurse)


@dataclass(slots=True)
class _Ask:
    """A referenced (or root) key whose pulled value goes to `into[slot]`."""

    table: str
    key: str
    pattern: Pattern
    into: Any  # a dict or a list of the results
    slot: Any
    default: Any
    # Levels left for each recursive spec followed to get here.
    recursion: Mapping[Spec, int] = field(default_factory=dict)


class Pull:
    def __init__(self, table: str, keys: list[str], pattern: Pattern) -> None:
        if not keys or len(keys) > MAX_ROOT_KEYS:
            raise InvalidInput(f"a pull takes 1..{MAX_ROOT_KEYS} keys", code="too-many-keys")
        self.results: list[Any] = [None] * len(keys)
        self._asks = [
            _Ask(table, key, pattern, self.results, i, None) for i, key in enumerate(keys)
        ]
        self._pulled = 0

    def wanted(self) -> dict[str, list[str]]:
        """The keys of each table whose values the next level needs (none: the pull is done)."""
        wanted: dict[str, dict[str, None]] = {}
        for ask in self._asks:
            wanted.setdefault(ask.table, {})[ask.key] = None
        keys = {table: list(found) for table, found in wanted.items()}
        self._pulled += sum(map(len, keys.values()))
        if self._pulled > MAX_PULLED_VALUES:
            raise _invalid(f"a pull reads at most {MAX_PULLED_VALUES} values", "pull-too-large")
        return keys

    def supply(self, values: Mapping[tuple[str, str], bytes | None]) -> None:
        """The stored JSON values of what `wanted` asked for (None: no such entry)."""
        asks, self._asks = self._asks, []
        for ask in asks:
            stored = values.get((ask.table, ask.key))
            if stored is None:
                ask.into[ask.slot] = ask.default
            else:
                # Decoded for each place it goes: results never share (and change) objects.
                ask.into[ask.slot] = self._shaped(orjson.loads(stored), ask.pattern, ask.recursion)

    def _shaped(self, value: Any, pattern: Pattern, recursion: Mapping[Spec, int]) -> Any:
        if not isinstance(value, dict):
            return value  # a scalar or list value has no fields to choose
        out: dict[str, Any] = value if pattern.star else {}
        for spec in pattern.specs:
            found = _get(value, spec.path)
            if found is _NO_DEFAULT:
                if spec.default is not _NO_DEFAULT:
                    _put(out, spec.name, spec.default)
                continue
            if isinstance(found, list) and spec.limit is not None:
                found = found[: spec.limit]
            if spec.table is None:
                _put(out, spec.name, found)
            else:
                self._follow(out, spec, found, pattern, recursion)
        return out

    def _follow(
        self, out: dict, spec: Spec, found: Any, pattern: Pattern, recursion: Mapping[Spec, int]
    ) -> None:
        nested, deeper = spec.pattern, recursion
        if nested is None:  # recursion: the enclosing pattern, one level fewer
            left = recursion.get(spec, spec.recurse or 0)
            if left == 0:
                _put(out, spec.name, found)  # the bound: the key itself
                return
            nested, deeper = pattern, {**recursion, spec: left - 1}
        default = None if spec.default is _NO_DEFAULT else spec.default
        if not isinstance(found, list):
            into, slot = _put(out, spec.name, default)
            if is_valid_key(found):
                self._asks.append(_Ask(spec.table, found, nested, into, slot, default, deeper))
            return
        slots: list[Any] = [default] * len(found)
        for index, key in enumerate(found):
            if is_valid_key(key):
                self._asks.append(_Ask(spec.table, key, nested, slots, index, default, deeper))
        _put(out, spec.name, slots)


def _get(value: dict, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return _NO_DEFAULT
        value = value[part]
    return value


def _put(out: dict, name: tuple[str, ...], value: Any) -> tuple[dict, str]:
    """Set `value` at the nested `name`; returns where it went."""
    for part in name[:-1]:
        inner = out.get(part)
        if not isinstance(inner, dict):
            inner = out[part] = {}
        out = inner
    out[name[-1]] = value
    return out, name[-1]
