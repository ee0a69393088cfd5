"""Records (assessments and error records) as lines of JSON."""

from __future__ import annotations

import json
from typing import Any

import orjson

_LINE_BREAKING = ("\u0085", "\u2028", "\u2029")
_NEL, _LSEP, _PSEP = (ch.encode("utf-8") for ch in _LINE_BREAKING)


def to_json_line(record: dict[str, Any]) -> str:
    """One record as one line of JSON (no newline)."""
    return to_json_bytes(record).decode("utf-8")


def to_json_bytes(record: dict[str, Any]) -> bytes:
    """One record as one line of compact UTF-8 JSON.

    orjson encodes a 2 KB assessment in about 4 us (pydantic-core 13 us, the standard library
    48 us). Characters that some readers take for line breaks (U+0085, U+2028, U+2029) are
    escaped, so a value can never split a line.
    """
    try:
        data = orjson.dumps(record)
    except TypeError:  # an integer beyond 64 bits, or a lone surrogate (from --text)
        return _ascii_json(record)
    # Plain substring tests: far faster than a regex alternation over a 2 KB record; an ASCII
    # record (most of them) holds none of the three, and saying so is one quicker pass.
    if not data.isascii() and (_NEL in data or _LSEP in data or _PSEP in data):
        return _ascii_json(record)
    return data


def _ascii_json(record: dict[str, Any]) -> bytes:
    """The standard library's encoder, every non-ASCII character escaped: slower, no limits."""
    return json.dumps(record, separators=(",", ":")).encode("ascii")
