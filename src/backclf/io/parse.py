"""Input records: JSON text to items, and one item to its id, findings and free text.

A record is a flat JSON object of findings, optionally with ``id`` and ``text``, or an
envelope ``{"id": ..., "text": ..., "findings": {...}}``. Reading never stops at a bad record:
it becomes an :class:`Item` with an ``error``, kept in its place.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from backclf.contract.rules import CaseError, check_id, check_text, is_missing, json_kind, quote

ENVELOPE_KEYS = ("id", "text", "findings")
UTF8_BOM = b"\xef\xbb\xbf"
LONE_SURROGATE = "malformed JSON: a \\u escape names half a surrogate pair, not a character"
#: What JSON counts as whitespace (RFC 8259): a line of only these is blank, not a case.
JSON_WHITESPACE = " \t\r\n"
#: Names listed in one error message before "and N more".
NAMES_SHOWN = 5


@dataclass
class Item:
    """One input record: where it came from, and what it said (or why it could not be read)."""

    line: int
    data: Any = None
    error: str | None = None


class RepeatedKey(ValueError):
    """A JSON object names the same key twice (JSON does not say which one counts)."""

    def __init__(self, key: str):
        super().__init__(f"malformed JSON: key {quote(key)} appears more than once")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKey(key)
            seen.add(key)
    return obj


#: One line of JSON Lines is one case: any flaw in it makes the line an error record.
_LINE_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def too_many_digits() -> str:
    limit = sys.get_int_max_str_digits()
    return f"malformed JSON: a whole number with more than {limit:,} digits"


def parse_json_lines(lines: Iterable[tuple[int, bytes | str]]) -> Iterator[Item]:
    """JSON Lines to items (one case per line); blank lines (nothing but JSON's whitespace)
    are skipped, malformed ones become errors. A UTF-8 byte order mark at the start of a line
    (files joined end to end) is not part of its case; bytes that are not UTF-8 make their
    line an error record that says so."""
    for number, raw in lines:
        if isinstance(raw, bytes):
            parsed = _plain_object(raw)
            if parsed is not None:
                yield Item(number, parsed)
                continue
            raw = raw.removeprefix(UTF8_BOM)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                if raw.strip(b" \t\r\n"):
                    yield Item(number, error=not_utf8(raw, exc))
                continue
        else:
            text = raw.removeprefix("\ufeff")
        if not text.strip(JSON_WHITESPACE):
            continue
        yield parse_json_line(number, text)


_SCALARS = (str, int, float, bool, type(None))
#: orjson reads an integer beyond 64 bits as a float (the standard path: an exact int), so a
#: float this large is read the standard way (no finding's range comes near it).
_BIG = 2.0**63


def _plain_object(raw: bytes) -> dict[str, Any] | None:
    """A line that is one flat JSON object of plain values (or an envelope whose
    ``findings`` is one), read by orjson (a quarter of the standard library's time), when
    that is certainly what the standard decoder below would give; else ``None``, and the line
    takes the standard path (which says what is wrong with it, if anything).

    orjson refuses what the standard path reports (malformed JSON, bytes that are not UTF-8,
    a lone surrogate, NaN, a number beyond a double), and reads what it accepts to the same
    values, with two exceptions. An integer beyond 64 bits becomes a float (so a float that
    large is left to the standard path), and a repeated key keeps its last value. So a line is taken
    only when it holds as many ``:`` as its objects have keys: every key has its own ``:``,
    so none is repeated (a ``:`` inside a string, as in a time of day, sends the line the
    standard way). Nested values (depth, where the two parsers' limits differ) go that way too.
    """
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(parsed) is not dict:
        return None
    keys = len(parsed)
    for value in parsed.values():
        kind = type(value)
        if kind not in _SCALARS:
            if kind is not dict:
                return None
            keys += len(value)
            for inner in value.values():
                kind = type(inner)
                if kind not in _SCALARS or (kind is float and not -_BIG < inner < _BIG):
                    return None
        elif kind is float and not -_BIG < value < _BIG:
            return None
    return parsed if raw.count(b":") == keys else None


def not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Why a line of bytes is not text: where its first byte that is not UTF-8 is."""
    column = len(raw[: exc.start].decode("utf-8", errors="replace")) + 1
    return (
        f"not UTF-8 text: the byte 0x{raw[exc.start]:02x} at column {column} is not UTF-8 "
        "(save the input as UTF-8)"
    )


#: The standard library's messages, in plain words (its "... at" ones read "at at" once a
#: position follows).
_PLAIN_JSON = {
    "Expecting value": "expected a value",
    "Expecting property name enclosed in double quotes": "expected a name in double quotes",
    "Expecting ':' delimiter": "expected ':' after a name",
    "Expecting ',' delimiter": "expected ',' between values",
    "Unterminated string starting at": "a string is not closed",
    "Invalid control character at": "a control character (a tab or line break) inside a string",
    "Invalid \\escape": "an invalid escape (\\) in a string",
    "Invalid \\uXXXX escape": "an invalid \\u escape in a string",
    "Extra data": "more after the end of the case",
}


def json_problem(exc: json.JSONDecodeError, *, first_line: int | None = None) -> str:
    """A JSON syntax error in plain words, with where it is (a column of the line; or a line
    and column of a document, counted from ``first_line``)."""
    words = _PLAIN_JSON.get(exc.msg, exc.msg.removesuffix(" at").lower())
    if first_line is None:
        return f"malformed JSON at column {exc.colno}: {words}"
    return f"malformed JSON at line {first_line + exc.lineno - 1}, column {exc.colno}: {words}"


def parse_json_line(number: int, text: str) -> Item:
    """One line of JSON Lines as an item. A repeated key, a number too long to read (over
    Python's 4,300-digit limit) or nesting too deep for the parser make it an error record."""
    try:
        parsed = _LINE_DECODER.decode(text)
    except json.JSONDecodeError as exc:
        return Item(number, error=json_problem(exc))
    except RepeatedKey as exc:
        return Item(number, error=str(exc))
    except ValueError:  # the only other: an integer beyond sys.get_int_max_str_digits()
        return Item(number, error=too_many_digits())
    except RecursionError:
        return Item(number, error="malformed JSON: nested too deeply")
    if "\\u" in text and lone_surrogate(parsed):
        return Item(number, error=LONE_SURROGATE)
    return Item(number, parsed)


# -- a whole document ------------------------------------------------------------------------


class _FlawedObject(dict):
    """An object of a JSON document that repeats a key; its case becomes an error record."""

    flaw: str


class _UnreadableNumber:
    """A whole number of a JSON document beyond Python's digit limit."""


def _marked_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    try:
        return _unique_keys(pairs)
    except RepeatedKey as exc:
        flawed = _FlawedObject(pairs)
        flawed.flaw = str(exc)
        return flawed


def _bounded_int(digits: str) -> int | _UnreadableNumber:
    try:
        return int(digits)
    except ValueError:
        return _UnreadableNumber()


#: A document holds many cases: a flaw is marked where it is, so only its case is an error.
DOCUMENT_DECODER = json.JSONDecoder(object_pairs_hook=_marked_keys, parse_int=_bounded_int)


def decode_document(text: str) -> Any:
    """A JSON document, each flaw marked in place (see :func:`flaw_of`); raises
    :class:`json.JSONDecodeError` or :class:`RecursionError` if it is not JSON."""
    return DOCUMENT_DECODER.decode(text)


def document_items(document: list[Any]) -> list[Item]:
    """The cases of one JSON document (an array, or a single object) as items."""
    items = []
    for i, case in enumerate(document):
        flaw = flaw_of(case)
        items.append(Item(i + 1, error=flaw) if flaw else Item(i + 1, case))
    return items


def flaw_of(value: Any) -> str | None:
    """Why a decoded value cannot be a case's record though it is JSON, if it cannot: a
    repeated key, a number too long to read, or a lone UTF-16 surrogate in a string."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _not_unicode(item):
                return LONE_SURROGATE
        elif isinstance(item, dict):
            if isinstance(item, _FlawedObject):
                return item.flaw
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, _UnreadableNumber):
            return too_many_digits()
    return None


def lone_surrogate(value: Any) -> bool:
    """Whether any string (or key) in a decoded JSON value holds a lone UTF-16 surrogate
    (``"\\ud800"``): valid JSON syntax, but not text that can be written back out as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _not_unicode(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _not_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def record_id(data: Any) -> str | int | None:
    """The record's id if it is a usable one (a string or a whole number), else ``None``."""
    return check_id(data.get("id"))[0] if isinstance(data, dict) else None


@dataclass(frozen=True)
class Record:
    """One record taken apart: its id, its explicit findings (``{finding: value}``, not yet
    checked), its free text if any, and the problems with its id or text (reported with the
    findings' own, as a table row's are)."""

    id: str | int | None
    findings: dict[str, Any]
    text: str | None
    problems: tuple[str, ...] = ()


def split_record(data: Any) -> Record:
    """Take a decoded record apart; raise :class:`CaseError` if its shape is wrong (not an
    object; findings both inside ``findings`` and beside it). A ``findings`` or ``text`` that
    is missing (``null``) is as if absent: rows of a table that mixes envelopes and flat
    records have it so."""
    if not isinstance(data, dict):
        raise CaseError([f"a case must be a JSON object of findings, got {json_kind(data)}"])
    given_id, id_problem = check_id(data.get("id"))
    findings = data
    envelope = data.keys() & ENVELOPE_KEYS
    if envelope:
        findings = {k: v for k, v in data.items() if k not in ENVELOPE_KEYS}
    if not is_missing(data.get("findings")):
        if findings:
            raise CaseError(
                [
                    "findings go inside 'findings' or at the top level, not both: "
                    + quoted_names(findings)
                ]
            )
        findings = data["findings"]
        if not isinstance(findings, dict):
            raise CaseError([f"findings: must be a JSON object, got {json_kind(findings)}"])
    text, text_problem = check_text(data.get("text"))
    if text is not None and lone_surrogate(text):  # e.g. bytes in a command line, not UTF-8
        text, text_problem = None, "text: not valid Unicode (is it UTF-8?)"
    problems = tuple(p for p in (id_problem, text_problem) if p)
    return Record(given_id, findings, text, problems)


def quoted_names(names: Iterable[str]) -> str:
    """Some names from input for an error message: each quoted short, at most a few."""
    names = sorted(names, key=str)
    shown = ", ".join(quote(str(name)) for name in names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
