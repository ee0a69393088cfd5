"""Records (assessments and error records) as lines of JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import orjson

from backclf.core.encoded import as_fragment, as_value

_LINE_BREAKING = ("\u0085", "\u2028", "\u2029")
_NEL, _LSEP, _PSEP = (ch.encode("utf-8") for ch in _LINE_BREAKING)
#: The last byte of each one's UTF-8 (0x85, 0xA8, 0xA9): a record holding none of these three
#: bytes holds none of the characters (one byte is found by memchr; a 2-3 byte string by a
#: slower search, ~4 us for a 6 KB record).
_LAST_NEL, _LAST_LSEP, _LAST_PSEP = (ch[-1:] for ch in (_NEL, _LSEP, _PSEP))
_NEWLINE = orjson.OPT_APPEND_NEWLINE


def to_json_line(record: dict[str, Any]) -> str:
    """One record as one line of JSON (no newline)."""
    return to_json_bytes(record).decode("utf-8")


def to_json_bytes(record: dict[str, Any]) -> bytes:
    """One record as one line of compact UTF-8 JSON.

    orjson encodes a 2 KB assessment in about 4 us (pydantic-core 13 us, the standard library
    48 us). Characters that some readers take for line breaks (U+0085, U+2028, U+2029) are
    escaped, so a value can never split a line. A record may hold parts encoded already
    (:class:`backclf.core.encoded.Encoded`): their bytes are spliced in.
    """
    return _encoded(record, 0)


def json_lines(records: Iterable[dict[str, Any]]) -> bytes:
    """Records as JSON Lines: each :func:`to_json_bytes` and a newline."""
    return b"".join(json_line_list(records))


def json_line_list(records: Iterable[dict[str, Any]]) -> list[bytes]:
    """:func:`json_lines` one line at a time (for a vectored write: joining a chunk's lines
    into one buffer of ~12 MB cost ~3,000 fresh pages, each a page fault, per chunk)."""
    return [_encoded(record, _NEWLINE) for record in records]


def _encoded(record: dict[str, Any], option: int) -> bytes:
    try:
        data = orjson.dumps(record, default=as_fragment, option=option)
    except TypeError:  # an integer beyond 64 bits, or a lone surrogate (from --text)
        return _ascii_json(record) + (b"\n" if option else b"")
    # Plain byte tests: far faster than a regex alternation over a 2 KB record; an ASCII
    # record holds none of the three, and saying so is one quicker pass.
    if (
        not data.isascii()
        and (_LAST_NEL in data or _LAST_LSEP in data or _LAST_PSEP in data)
        and (_NEL in data or _LSEP in data or _PSEP in data)
    ):
        return _ascii_json(record) + (b"\n" if option else b"")
    return data


def _ascii_json(record: dict[str, Any]) -> bytes:
    """The standard library's encoder, every non-ASCII character escaped: slower, no limits."""
    return json.dumps(record, separators=(",", ":"), default=as_value).encode("ascii")
