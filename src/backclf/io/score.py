"""Cases read from any input to assessment records or error records, in order.

Each case arrives checked by the contract's rules (its findings as codes) or with its
problem. Free text is read into findings here: findings given explicitly win (unless the
text reads a more alarming value: then the text's is used, and the conflict reported), and
an explicit ``null`` means unknown, so it never overrides what the text says. It is kept apart
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
from backclf.contract.conflicts import safer_of_two, text_conflict
from backclf.contract.fields import FIELD_NAMES
from backclf.contract.rules import CaseError, check_record, is_missing, plain_codes
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
    data = item.data
    if type(data) is dict:  # a flat record of plain valid values (most of a batch): quickly
        given_id = data.get("id")
        if given_id is None or type(given_id) is str or type(given_id) is int:
            plain = plain_codes(data, skip="id")
            if plain is not None:
                return Case(item.line, given_id, plain[0], dont_know=plain[1])
    try:
        record = split_record(item.data)
    except CaseError as exc:
        return Case(item.line, record_id(item.data), error=str(exc))
    try:
        codes = check_record(record.findings)
        problems = list(record.problems)
    except CaseError as exc:
        codes, problems = {}, [*record.problems, *exc.problems]
    if problems:
        return Case(item.line, record.id, error="; ".join(problems))
    dont_know = tuple(
        name
        for name, value in record.findings.items()
        if value is None or (not isinstance(value, bool | int | str) and is_missing(value))
    )
    return Case(item.line, record.id, codes, record.text, dont_know=dont_know)


def assess_items(
    items: list[Item],
    model: ReadableModel,
    extract: Extractor | None = None,
    lean: bool = False,
    encoded: bool = False,
) -> list[dict[str, Any]]:
    """Assessments (or error records) for a list of decoded JSON records, in order (``lean``,
    ``encoded``: see :func:`backclf.core.records.records`)."""
    return assess_cases([read_item(item) for item in items], model, extract, lean, encoded)


def assess_cases(
    cases: list[Case],
    model: ReadableModel,
    extract: Extractor | None = None,
    lean: bool = False,
    encoded: bool = False,
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
        built = records(decisions, ids, lean, encoded)
        for place, assessment, reading in zip(good, built, readings, strict=True):
            if reading is not None:
                spans, notes, unaddressed, conflicts = reading
                assessment["extracted"], assessment["notes"] = spans, notes
                assessment["not_mentioned"] = unaddressed
                if conflicts:
                    assessment["conflicts"] = conflicts + assessment.get("conflicts", [])
            out[place] = assessment
    return out  # type: ignore[return-value]


def _with_text(
    codes: dict[str, float | int], text: str, extract: Extractor | None
) -> tuple[dict[str, float | int], tuple[list, list, list, list]]:
    """The case's findings with those read from its text. An explicit answer wins, unless
    the text reads a more alarming value ("I wet myself" beside an explicit "no"): then the
    text's value is used and the conflict reported (:func:`~backclf.contract.conflicts.
    safer_of_two`)."""
    if extract is None:
        raise CaseError(["text: reading free text needs the text extra (backclf[text])"])
    if len(text) > MAX_TEXT_CHARS:
        raise CaseError([f"text: longer than {MAX_TEXT_CHARS:,} characters ({len(text):,})"])
    from_text, spans, notes, unaddressed = extract(text)
    read = check_record(from_text)
    merged = {**read, **codes}
    conflicts = []
    for name in read.keys() & codes.keys():
        used = safer_of_two(name, codes[name], read[name])
        if used != codes[name]:
            merged[name] = used
            words = next((s["span"] for s in spans if s["finding"] == name), None)
            conflicts.append(text_conflict(name, codes[name], used, words))
    conflicts.sort(key=lambda c: FIELD_NAMES.index(c["finding"]))
    return merged, (spans, notes, [f for f in unaddressed if f not in codes], conflicts)
