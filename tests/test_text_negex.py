"""Negation on public data: the NegEx test sentences whose condition is a backclf finding
(tests/data/negex, with provenance), read by the reader and by stock negspacy side by side."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from backclf.text.negex_set import load_negex, negex_scores, polarity

SENTENCES = Path(__file__).parent / "data" / "negex" / "sentences.jsonl"
#: Today's count (issue 26; 118 before it): a floor, not a target.
READER_FLOOR = 158


@cache
def scores() -> dict:
    return negex_scores(load_negex(SENTENCES))


def test_the_set_is_the_documented_selection():
    records = load_negex(SENTENCES)
    assert len(records) == 162
    assert {r["annotation"] for r in records} == {"Affirmed", "Negated"}
    assert sum(not r["present"] for r in records) == 65


def test_reader_at_least_as_good_as_stock_negspacy_on_the_same_sentences():
    side = scores()
    assert side["reader_right"] >= side["stock_negspacy_right"]
    assert side["reader_right"] >= READER_FLOOR, side["reader_misses"]


@pytest.mark.parametrize(
    ("finding", "value", "present"),
    [("fever", True, True), ("fever", False, False), ("fever", None, None),
     ("radiating_leg_pain", "one_leg", True), ("radiating_leg_pain", "none", False)],
)  # fmt: skip
def test_polarity_of_a_reading(finding, value, present):
    assert polarity(finding, value) is present
