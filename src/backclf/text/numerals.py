"""Numbers as people write them: number words read as digits, by the text2num library.

The number readers (:mod:`.numbers`) read a *numeral view* of the text: every run of number
words ("sixty-three", "thirty eight point five", "one hundred and one") is replaced by its
digits, converted by text2num's ``alpha2digit`` (a lone "one" is left alone: "no one", "one
of them"), so a pattern written for "63" also reads "sixty-three". The view keeps the map
back to the text (a :class:`~backclf.text.prepare.Prepared`), so every reading points at the
writer's own words.

Quantity words that are not numerals ("a", "a couple of", "a few", "several", "half a") are
read by :func:`number` from a small table.
"""

from __future__ import annotations

import re

from text_to_num import alpha2digit

from backclf.text.prepare import Prepared

_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "hundred", "thousand",
)  # fmt: skip
_WORD = "(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + ")"
#: A run of number words: "sixty-three", "one hundred and one", "thirty eight point five".
NUMBER_WORDS = re.compile(rf"\b{_WORD}(?:(?:-| | and | point ){_WORD})*\b")

#: Quantity words and what they count ("a couple of days", "half a stone").
FEW = {"a": 1, "an": 1, "one": 1, "a couple of": 2, "couple of": 2, "a couple": 2, "couple": 2,
       "a few": 3,
       "few": 3, "several": 4, "half a": 0.5, "half an": 0.5, "a half": 0.5}  # fmt: skip
#: How the patterns write a number: digits (as the view has them) or a quantity word.
NUM = r"(?:\d+(?:\.\d+)?(?: and a half)?)"
FEW_NUM = rf"(?:{NUM}|a couple of|couple of|a couple|couple|a few|several|half an?|an?|one)"


def numeral_view(text: str) -> Prepared:
    """``text`` (already prepared: lower case, one space) with its number words as digits,
    and the map back to ``text``."""
    if NUMBER_WORDS.search(text) is None:
        return Prepared(text, text)
    parts: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    ends: list[int] = []
    aligned: list[bool] = []
    length = at = 0

    def put(piece: str, origin: int, end: int, one_to_one: bool) -> None:
        nonlocal length
        if not piece:
            return
        starts.append(length)
        origins.append(origin)
        ends.append(end)
        aligned.append(one_to_one)
        parts.append(piece)
        length += len(piece)

    for m in NUMBER_WORDS.finditer(text):
        if m.group() == "one":
            continue  # "no one", "one of them": a lone "one" is read as a quantity word
        digits = alpha2digit(m.group(), "en", threshold=0)
        if digits == m.group():
            continue
        put(text[at : m.start()], at, m.start(), True)
        put(digits, m.start(), m.end(), False)
        at = m.end()
    if not parts:
        return Prepared(text, text)
    put(text[at:], at, len(text), True)
    return Prepared(
        "".join(parts), text, tuple(starts), tuple(origins), tuple(ends), tuple(aligned)
    )


def number(text: str) -> float | None:
    """A number as the numeral view writes it ("76", "2.5", "2 and a half") or a quantity
    word ("a couple of"), or ``None``."""
    text = text.strip()
    if text in FEW:
        return float(FEW[text])
    if text.startswith("half a"):
        return 0.5
    half = text.endswith(" and a half")
    if half:
        text = text[: -len(" and a half")]
    try:
        return float(text) + (0.5 if half else 0.0)
    except ValueError:
        return None


__all__ = ["FEW_NUM", "NUM", "number", "numeral_view"]
