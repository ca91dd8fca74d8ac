"""JSON values kept as the exact text they were sent in.

A store of model coefficients gives back what it was given: re-encoding a parsed
value would turn 123456789012345678901234567890 into 1.2345678901234568e+29 (orjson
parses integers beyond 64 bits as floats) and would rewrite exponents, escapes and
spacing. So bodies are walked here with the stdlib's C scanner, which validates each
value and tells where it ends; the value's text is kept as it was, never re-encoded.

`parse_exactly` first tries the fast way: a body exactly as orjson writes it (as the
loader sends them) is parsed by orjson, and each value encoded again is then, provably,
its own text (checked by encoding the whole body again: a tenth of parsing it). Any
other body is walked.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from typing import Any, NamedTuple

import orjson

from optimus.domain.errors import InvalidInput


class RawValue(NamedTuple):
    """A JSON value: its exact text in UTF-8, and what it parses to (a str is needed as
    such for datasets of other content types)."""

    data: bytes
    value: Any


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # the stdlib would accept NaN and Infinity


_scan_once = json.scanner.make_scanner(json.JSONDecoder(parse_constant=_refuse_constant))
_scan_string = json.decoder.scanstring
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_WHITESPACE_CHARS = " \t\n\r"


def _malformed(text: str, index: int, what: str) -> InvalidInput:
    line = text.count("\n", 0, index) + 1
    return InvalidInput(
        f"malformed JSON: {what} at line {line}, character {index + 1}", code="malformed-json"
    )


def _skip(text: str, index: int) -> int:
    # ("" is in every string: at the end of the text this costs one regex call, no more.)
    if text[index : index + 1] in _WHITESPACE_CHARS:
        return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]
    return index


def _value(text: str, index: int) -> tuple[Any, int]:
    try:
        return _scan_once(text, index)
    except StopIteration as stop:
        raise _malformed(text, stop.value, "expected a value") from None
    except json.JSONDecodeError as exc:
        raise _malformed(text, exc.pos, exc.msg) from None
    except ValueError as exc:  # NaN, Infinity
        raise _malformed(text, index, str(exc)) from None
    except RecursionError:
        raise _malformed(text, index, "a value nested too deeply") from None


def _object(text: str, index: int, raw_member: str | None) -> tuple[dict[str, Any], int]:
    """The object starting at `index` ('{'), its `raw_member` as a RawValue."""
    item: dict[str, Any] = {}
    index = _skip(text, index + 1)
    if text[index : index + 1] == "}":
        return item, index + 1
    while True:
        if text[index : index + 1] != '"':
            raise _malformed(text, index, "expected a property name in double quotes")
        try:
            name, index = _scan_string(text, index + 1)
        except json.JSONDecodeError as exc:
            raise _malformed(text, exc.pos, exc.msg) from None
        index = _skip(text, index)
        if text[index : index + 1] != ":":
            raise _malformed(text, index, "expected ':'")
        start = _skip(text, index + 1)
        value, index = _value(text, start)
        item[name] = RawValue(text[start:index].encode(), value) if name == raw_member else value
        index = _skip(text, index)
        delimiter = text[index : index + 1]
        if delimiter == "}":
            return item, index + 1
        if delimiter != ",":
            raise _malformed(text, index, "expected ',' or '}'")
        index = _skip(text, index + 1)


def _decode(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"malformed JSON: not UTF-8 ({exc})", code="malformed-json") from None


def _end(text: str, index: int) -> None:
    if _skip(text, index) != len(text):
        raise _malformed(text, index, "extra data after the JSON value")


def parse_with_raw_values(body: bytes | str, raw_member: str | None = "value") -> Any:
    """The JSON body parsed, where every object at its top level (the body, or the
    items of a body that is an array) has its `raw_member` as a RawValue."""
    text = _decode(body)
    index = _skip(text, 0)
    opening = text[index : index + 1]
    if opening == "{":
        parsed, index = _object(text, index, raw_member)
    elif opening == "[":
        parsed = []
        index = _skip(text, index + 1)
        if text[index : index + 1] == "]":
            index += 1
        else:
            while True:
                if text[index : index + 1] == "{":
                    item, index = _object(text, index, raw_member)
                else:
                    item, index = _value(text, index)
                parsed.append(item)
                index = _skip(text, index)
                delimiter = text[index : index + 1]
                if delimiter == "]":
                    index += 1
                    break
                if delimiter != ",":
                    raise _malformed(text, index, "expected ',' or ']'")
                index = _skip(text, index + 1)
    else:
        parsed, index = _value(text, index)
    _end(text, index)
    return parsed


def exact_json_text(text: str) -> str:
    """`text` if it holds one JSON value (surrounding whitespace dropped), else InvalidInput."""
    start = _skip(text, 0)
    _, end = _value(text, start)
    _end(text, end)
    return text[start:end]


def parse_exactly(body: bytes, raw_member: str = "value") -> Any:
    """As `parse_with_raw_values`, fast for bodies written as orjson writes them.

    Such a body is encoding its parse gives, so is each value's text: its values are
    left as parsed (not RawValue), and `value_bytes` encodes them again, exactly.
    """
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:  # maybe JSON orjson refuses (1e400): the walk says
        return parse_with_raw_values(body, raw_member)
    if orjson.dumps(parsed) != body:  # spaces, escapes, exponents, big integers…
        return parse_with_raw_values(body, raw_member)
    return parsed


def value_bytes(value: Any) -> bytes:
    """The exact text of a value from `parse_exactly` or `parse_with_raw_values`."""
    return value.data if type(value) is RawValue else orjson.dumps(value)


def parsed_value(value: Any) -> Any:
    """What a value from `parse_exactly` or `parse_with_raw_values` parses to."""
    return value.value if type(value) is RawValue else value
