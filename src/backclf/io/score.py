"""Cases read from any input to assessment records or error records, in order.

Each case arrives checked by the contract's rules (its findings as codes) or with its
problem. Free text is read into findings here: findings given explicitly win, and an
explicit ``null`` means unknown, so it never overrides what the text says. It is kept apart
from an absent finding for one purpose only: ``null`` means "asked; the person does not
know", so the finding is not asked again (``next_questions``). The good cases of
a batch are decided together by :func:`backclf.core.decide.assess_batch`; a bad one becomes
an error record in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backclf.contract.columns import from_codes
from backclf.contract.rules import CaseError, check_record, cross_field_problems_of
from backclf.core.decide import assess_batch, finding_masks
from backclf.core.model import ReadableModel
from backclf.core.records import records
from backclf.io.parse import Item, record_id, split_record

#: Free text longer than this is an error record, not read: about 15,000 words, far beyond
#: any account of back pain (spaCy refuses a million characters; memory grows with length).
MAX_TEXT_CHARS = 100_000

#: Free text to (findings, the words behind each, notes for the person, the red-flag screens
#: the text did not address).
Extractor = Callable[[str], tuple[dict[str, Any], list[dict[str, Any]], list[str], list[str]]]


@dataclass
class Case:
    """One case as read: its line (or row), id, checked findings and text, or its problem."""

    line: int
    id: str | int | None = None
    codes: dict[str, float | int] | None = None
    text: str | None = None
    error: str | None = None
    dont_know: tuple[str, ...] = ()  # findings given as null: asked, not known


def error_record(case_id: Any, line: int, message: str) -> dict[str, Any]:
    """In place of an assessment: the case's id, its line (or row) and the problem."""
    return {"id": case_id, "line": line, "error": message}


def read_item(item: Item) -> Case:
    """A decoded JSON record, taken apart and checked."""
    if item.error is not None:
        return Case(item.line, record_id(item.data), error=item.error)
    try:
        record = split_record(item.data)
        codes = check_record(record.findings)
    except CaseError as exc:
        return Case(item.line, record_id(item.data), error=str(exc))
    dont_know = tuple(name for name, value in record.findings.items() if value is None)
    return Case(item.line, record.id, codes, record.text, dont_know=dont_know)


def assess_items(
    items: list[Item], model: ReadableModel, extract: Extractor | None = None
) -> list[dict[str, Any]]:
    """Assessments (or error records) for a list of decoded JSON records, in order."""
    return assess_cases([read_item(item) for item in items], model, extract)


def assess_cases(
    cases: list[Case], model: ReadableModel, extract: Extractor | None = None
) -> list[dict[str, Any]]:
    """Assessments (or error records) for cases as read, in order."""
    out: list[dict[str, Any] | None] = [None] * len(cases)
    good, codes, readings, read = [], [], [], []
    for place, case in enumerate(cases):
        if case.error is None and case.text is not None:
            try:
                merged, reading = _with_text(case.codes or {}, case.text, extract)
            except CaseError as exc:
                case = Case(case.line, case.id, error=str(exc))
        elif case.error is None:
            merged, reading = case.codes or {}, None
        if case.error is not None:
            out[place] = error_record(case.id, case.line, case.error)
            continue
        good.append(place)
        codes.append(merged)
        readings.append(reading)
        read.append(() if reading is None else merged.keys() - (case.codes or {}).keys())
    if good:
        asked = finding_masks([cases[place].dont_know for place in good])
        decisions = assess_batch(from_codes(codes), model, asked, finding_masks(read))
        ids = [cases[place].id for place in good]
        for place, assessment, reading in zip(good, records(decisions, ids), readings, strict=True):
            if reading is not None:
                assessment["extracted"], assessment["notes"], assessment["not_mentioned"] = reading
            out[place] = assessment
    return out  # type: ignore[return-value]


def _with_text(
    codes: dict[str, float | int], text: str, extract: Extractor | None
) -> tuple[dict[str, float | int], tuple[list, list, list]]:
    """The case's findings with those read from its text; explicit known values win."""
    if extract is None:
        raise CaseError(["text: reading free text needs the text extra (backclf[text])"])
    if len(text) > MAX_TEXT_CHARS:
        raise CaseError([f"text: longer than {MAX_TEXT_CHARS:,} characters ({len(text):,})"])
    from_text, spans, notes, unaddressed = extract(text)
    merged = {**check_record(from_text), **codes}
    problems = cross_field_problems_of(merged)  # e.g. "no fever" given, 39 C in the text
    if problems:
        raise CaseError(problems)
    return merged, (spans, notes, [f for f in unaddressed if f not in codes])
