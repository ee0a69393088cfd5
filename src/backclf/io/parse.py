"""Input records: JSON text to items, and one item to its id, findings and free text.

A record is a flat JSON object of findings, optionally with ``id`` and ``text``, or an
envelope ``{"id": ..., "text": ..., "findings": {...}}``. Reading never stops at a bad record:
it becomes an :class:`Item` with an ``error``, kept in its place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from backclf.contract.rules import CaseError

ENVELOPE_KEYS = ("id", "text", "findings")
LONE_SURROGATE = "malformed JSON: a \\u escape names half a surrogate pair, not a character"


@dataclass
class Item:
    """One input record: where it came from, and what it said (or why it could not be read)."""

    line: int
    data: Any = None
    error: str | None = None


def parse_json_lines(lines: Iterable[tuple[int, bytes | str]]) -> Iterator[Item]:
    """JSON Lines to items (one case per line); blank lines are skipped, malformed ones
    become errors."""
    for number, raw in lines:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        yield parse_json_line(number, text)


def parse_json_line(number: int, text: str) -> Item:
    """One line of JSON Lines as an item."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        return Item(number, error=f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Item(number, error="malformed JSON: nested too deeply")
    if "\\u" in text and lone_surrogate(parsed):
        return Item(number, error=LONE_SURROGATE)
    return Item(number, parsed)


def document_items(document: list[Any]) -> list[Item]:
    """The cases of one JSON document (an array, or a single object) as items."""
    return [
        Item(i + 1, error=LONE_SURROGATE) if lone_surrogate(case) else Item(i + 1, case)
        for i, case in enumerate(document)
    ]


def lone_surrogate(value: Any) -> bool:
    """Whether any string (or key) in a decoded JSON value holds a lone UTF-16 surrogate
    (``"\\ud800"``): valid JSON syntax, but not text that can be written back out as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def record_id(data: Any) -> str | int | None:
    """The record's id if it is a usable one (a string or an integer), else ``None``."""
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Record:
    """One record taken apart: its id, its explicit findings (``{finding: value}``, not yet
    checked), and its free text if any."""

    id: str | int | None
    findings: dict[str, Any]
    text: str | None


def split_record(data: Any) -> Record:
    """Take a decoded record apart; raise :class:`CaseError` if its shape is wrong."""
    if not isinstance(data, dict):
        raise CaseError([f"a case must be a JSON object, got {type(data).__name__}"])
    given_id = data.get("id")
    if given_id is not None and record_id(data) is None:
        raise CaseError(["id: must be a string or an integer"])
    findings = data
    envelope = data.keys() & ENVELOPE_KEYS
    if envelope:
        findings = {k: v for k, v in data.items() if k not in ENVELOPE_KEYS}
    if "findings" in data:
        if findings:
            raise CaseError(
                [
                    f"findings go inside 'findings' or at the top level, not both: "
                    f"{', '.join(sorted(findings))}"
                ]
            )
        findings = data["findings"]
        if not isinstance(findings, dict):
            raise CaseError(["findings: must be a JSON object"])
    text = data.get("text")
    if text is not None:
        if not isinstance(text, str):
            raise CaseError(["text: must be a string"])
        if lone_surrogate(text):  # e.g. bytes in a command line that are not UTF-8
            raise CaseError(["text: not valid Unicode (is it UTF-8?)"])
    return Record(given_id, findings, text)
