"""Declarative validation of key/value data: front matter and ``site.toml`` share it.

A schema is a mapping of key name to :class:`Field`. Validation never stops at the first
problem: it returns every diagnostic (unknown keys with a "did you mean", missing required
keys, wrong types, impossible values), each pointing at the line of the offending key.
Front matter never becomes dynamic attributes: callers read the returned dict into typed,
frozen models.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from portal.dates import DateFormatError, describe_value, parse_date
from portal.errors import Diagnostic, error
from portal.vietnamese import is_safe_slug, nfc


class FieldValueError(ValueError):
    """A value of the wrong shape: ``expected`` and ``found`` feed the error message."""

    def __init__(self, expected: str, found: str):
        self.expected = expected
        self.found = found
        super().__init__(f"expected {expected}, got {found}")


@dataclass(frozen=True)
class Context:
    """What converters may need besides the value itself."""

    zone: ZoneInfo


Converter = Callable[[Any, Context], Any]


@dataclass(frozen=True)
class Field:
    convert: Converter
    required: bool = False
    default: Any = None


@dataclass(frozen=True)
class Location:
    """Where the data came from, and how to find the line of a key inside it."""

    path: str
    line_of: Callable[[str], int]
    noun: str = "front-matter key"
    prefix: str = ""

    def nested(self, key: str) -> Location:
        return Location(self.path, self.line_of, self.noun, f"{self.prefix}{key}")


@dataclass
class Result:
    values: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def validate(data: Any, schema: Mapping[str, Field], where: Location, ctx: Context) -> Result:
    """Check ``data`` against ``schema``; unknown, missing and malformed keys all reported."""
    result = Result()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        result.diagnostics.append(error(where.path, where.line_of(where.prefix.rstrip(".")),
                                        f"wrong value for '{where.prefix.rstrip('.') or 'file'}'",
                                        "a table of keys and values", describe_value(data)))
        return result
    for key in data:
        if key not in schema:
            full = f"{where.prefix}{key}"
            hint = difflib.get_close_matches(str(key), list(schema), n=1, cutoff=0.75)
            found = repr(key) + (f" (did you mean '{hint[0]}'?)" if hint else "")
            result.diagnostics.append(error(
                where.path, where.line_of(full), f"unknown {where.noun} '{full}'",
                "one of " + ", ".join(sorted(schema)), found,
            ))
    for key, spec in schema.items():
        full = f"{where.prefix}{key}"
        if key not in data or data[key] is None or data[key] == "":
            if spec.required:
                result.diagnostics.append(error(
                    where.path,
                    where.line_of(full if key in data else where.prefix.rstrip(".")),
                    f"missing required {where.noun} '{full}'",
                    _expected_of(spec), "nothing",
                ))
            result.values[key] = spec.default
            continue
        try:
            result.values[key] = spec.convert(data[key], ctx)
        except FieldValueError as exc:
            result.diagnostics.append(error(where.path, where.line_of(full),
                                            f"wrong value for '{full}'", exc.expected, exc.found))
            result.values[key] = spec.default
    return result


def _expected_of(spec: Field) -> str:
    return getattr(spec.convert, "expected", "a value")


def expects(description: str) -> Callable[[Converter], Converter]:
    """Attach the human description of a converter, used by "missing required" messages."""

    def mark(fn: Converter) -> Converter:
        fn.expected = description  # type: ignore[attr-defined]
        return fn

    return mark


@expects("a non-empty text")
def text(value: Any, ctx: Context) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FieldValueError("a non-empty text", describe_value(value))
    result = nfc(str(value)).strip()
    if not result:
        raise FieldValueError("a non-empty text", "an empty text")
    if "\x00" in result:
        raise FieldValueError("a text without NUL characters", "a text containing NUL")
    return result


@expects("true or false")
def boolean(value: Any, ctx: Context) -> bool:
    if not isinstance(value, bool):
        raise FieldValueError("true or false", describe_value(value))
    return value


@expects("a whole number")
def integer(value: Any, ctx: Context) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldValueError("a whole number", describe_value(value))
    return value


def positive_integer(limit: int) -> Converter:
    @expects(f"a whole number from 1 to {limit}")
    def convert(value: Any, ctx: Context) -> int:
        number = integer(value, ctx)
        if not 1 <= number <= limit:
            raise FieldValueError(f"a whole number from 1 to {limit}", str(number))
        return number

    return convert


@expects("a date like 2023-03-09, 2023-03-09 08:30 or 09/03/2023")
def timestamp(value: Any, ctx: Context):
    try:
        return parse_date(value, ctx.zone)
    except DateFormatError as exc:
        raise FieldValueError(_expected_of(Field(timestamp)), exc.found) from None


@expects("a list of texts")
def text_list(value: Any, ctx: Context) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise FieldValueError("a list of texts", describe_value(value))
    items = []
    for item in value:
        try:
            items.append(text(item, ctx))
        except FieldValueError:
            raise FieldValueError("a list of texts", f"an item that is {describe_value(item)}") \
                from None
    return tuple(dict.fromkeys(items))


@expects("a lowercase URL segment of a-z, 0-9 and '-' (like 'lien-he')")
def slug(value: Any, ctx: Context) -> str:
    result = text(value, ctx)
    if not is_safe_slug(result):
        raise FieldValueError(_expected_of(Field(slug)), repr(result))
    return result


def one_of(choices: tuple[str, ...]) -> Converter:
    @expects("one of " + ", ".join(choices))
    def convert(value: Any, ctx: Context) -> str:
        result = text(value, ctx)
        if result not in choices:
            raise FieldValueError("one of " + ", ".join(choices), repr(result))
        return result

    return convert


def table(description: str) -> Converter:
    """A table of keys (``[contact]``, ``cta:``); its keys are validated by their own schema
    afterwards, so each problem is reported with its own key."""

    @expects(description)
    def convert(value: Any, ctx: Context) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise FieldValueError(description, describe_value(value))
        return value

    return convert


def table_list(description: str) -> Converter:
    """A list of small tables (``[[menu]]``, ``attachments:``), each validated afterwards."""

    @expects(description)
    def convert(value: Any, ctx: Context) -> list[Any]:
        if not isinstance(value, list):
            raise FieldValueError(description, describe_value(value))
        return value

    return convert
