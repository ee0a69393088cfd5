"""Raw input records (JSON objects, flag values, text) to assessments, in order.

A record is a flat JSON object of findings, optionally with ``id`` and ``text``, or an
envelope ``{"id": ..., "text": ..., "findings": {...}}``. A bad record becomes an error
record in its place; the others are still assessed. Everything goes through
:func:`backclf.core.decide.assess_batch`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from backclf.contract.columns import from_cases
from backclf.contract.findings import Case, CaseError, parse_case
from backclf.core.decide import assess_batch, records
from backclf.core.model import ReadableModel

ENVELOPE_KEYS = ("id", "text", "findings")
Extractor = Callable[[str], tuple[dict[str, Any], list[dict[str, Any]], list[str]]]


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
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Item(number, error=f"malformed JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield Item(number, error="malformed JSON: nested too deeply")
            continue
        if "\\u" in text and lone_surrogate(parsed):
            yield Item(number, error=LONE_SURROGATE)
            continue
        yield Item(number, parsed)


def document_items(document: list[Any]) -> list[Item]:
    """The cases of one JSON document (an array, or a single object) as items."""
    return [
        Item(i + 1, error=LONE_SURROGATE) if lone_surrogate(case) else Item(i + 1, case)
        for i, case in enumerate(document)
    ]


LONE_SURROGATE = "malformed JSON: a \\u escape names half a surrogate pair, not a character"


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


def _split(data: Any, extract: Extractor | None) -> tuple[Any, Case | None, dict | None]:
    """The record's id, its validated case, and what was extracted from its text."""
    if not isinstance(data, dict):
        raise CaseError([f"a case must be a JSON object, got {type(data).__name__}"])
    record_id = data.get("id")
    if isinstance(record_id, bool) or (
        record_id is not None and not isinstance(record_id, str | int)
    ):
        raise CaseError(["id: must be a string or an integer"])
    findings = data
    envelope = data.keys() & ENVELOPE_KEYS
    if envelope:
        findings = dict(data)
        for key in envelope:
            del findings[key]
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
    extracted = None
    if text is not None:
        if not isinstance(text, str):
            raise CaseError(["text: must be a string"])
        if lone_surrogate(text):  # e.g. bytes in a command line that are not UTF-8
            raise CaseError(["text: not valid Unicode (is it UTF-8?)"])
        if extract is None:
            raise CaseError(["text: reading free text needs the text extra (backclf[text])"])
        from_text, spans, notes = extract(text)
        findings = {**from_text, **findings}  # what is stated explicitly wins over the text
        extracted = {"spans": spans, "notes": notes}
    return record_id, parse_case(findings), extracted


def assess_items(
    items: list[Item], model: ReadableModel, extract: Extractor | None = None
) -> list[dict[str, Any]]:
    """Assessments (or error records) for a list of items, in the same order."""
    out: list[dict[str, Any] | None] = [None] * len(items)
    cases, ids, places, extras = [], [], [], []
    for place, item in enumerate(items):
        record_id = item.data.get("id") if isinstance(item.data, dict) else None
        if item.error is not None:
            out[place] = error_record(record_id, item.line, item.error)
            continue
        try:
            record_id, case, extracted = _split(item.data, extract)
        except CaseError as exc:
            out[place] = error_record(_safe_id(record_id), item.line, str(exc))
            continue
        cases.append(case)
        ids.append(record_id)
        places.append(place)
        extras.append(extracted)
    if cases:
        columns = from_cases(cases)
        decisions = assess_batch(columns, model)
        for place, record, extracted in zip(
            places, records(decisions, columns, model, ids), extras, strict=True
        ):
            if extracted is not None:
                record["extracted"] = extracted["spans"]
                record["notes"] = extracted["notes"]
            out[place] = record
    return out  # type: ignore[return-value]


_LINE_BREAKING = ("\u0085", "\u2028", "\u2029")


def to_json_line(record: dict[str, Any]) -> str:
    """One record as one line of JSON (no newline)."""
    return to_json_bytes(record).decode("utf-8")


_NEL, _LSEP, _PSEP = (ch.encode("utf-8") for ch in _LINE_BREAKING)


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
    # Plain substring tests: far faster than a regex alternation over a 2 KB record.
    if _NEL in data or _LSEP in data or _PSEP in data:
        return _ascii_json(record)
    return data


def _ascii_json(record: dict[str, Any]) -> bytes:
    """The standard library's encoder, every non-ASCII character escaped: slower, no limits."""
    return json.dumps(record, separators=(",", ":")).encode("ascii")


def _safe_id(record_id: Any) -> Any:
    return (
        record_id if isinstance(record_id, str | int) and not isinstance(record_id, bool) else None
    )


def error_record(record_id: Any, line: int, message: str) -> dict[str, Any]:
    return {"id": _safe_id(record_id), "line": line, "error": message}
