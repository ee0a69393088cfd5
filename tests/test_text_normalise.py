"""Normalisation before reading (issue 26, item 1): whatever keyboard typed a red-flag phrase,
it reads as it does in plain ASCII, and what is reported points at the writer's own words.

The transformations are the red team's: curly apostrophes (U+2019, what iOS and macOS type),
U+02BC, U+00B4, upper case, no-break spaces, full-width letters and zero-width characters.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from backclf.text.extract import extract_findings
from backclf.text.prepare import MAX_RUN, prepare

#: Red-flag phrases in plain ASCII, each read as a red flag (checked below).
PHRASES = [
    "I can't feel my bum",
    "I can't control my bladder",
    "I've wet myself and didn't notice",
    "my legs won't hold me, both legs are weak",
    "I can't keep any water down",
    "I'm 8 months pregnant and I've got a temperature of 38.5",
    "I passed out in the kitchen and I'm 67",
    "there's a throbbing lump in my belly",
    "I can't feel the paper when I wipe",
    "I've had cancer and I'm on steroids",
    "I'm shivering, peeing every hour and it stings",
    "he's muddled and not making sense",
    "I fell 3 metres off a ladder",
    "I've got a temp of 101 F and I inject heroin",
    "Fever? No. Numbness? Yes",
]
APOSTROPHES = ["\u2019", "\u02bc", "\u00b4"]
SPACES = ["\u00a0", "\u202f", "\u2007"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def full_width(text: str) -> str:
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


def with_zero_width(text: str, positions: list[int], chars: list[str]) -> str:
    out = list(text)
    for at, c in sorted(zip(positions, chars, strict=False), reverse=True):
        out.insert(at % (len(text) + 1), c)
    return "".join(out)


def test_every_phrase_is_a_red_flag_in_plain_ascii():
    from backclf.text.lexicon import red_flag_findings

    flags = set(red_flag_findings())
    for phrase in PHRASES:
        assert flags & set(extract_findings(phrase).findings), phrase


@st.composite
def transformed(draw):
    phrase = draw(st.sampled_from(PHRASES))
    kind = draw(
        st.sampled_from(["apostrophe", "upper", "spaces", "full width", "zero width", "all"])
    )
    text = phrase
    if kind in ("apostrophe", "all"):
        text = text.replace("'", draw(st.sampled_from(APOSTROPHES)))
    if kind in ("upper", "all"):
        text = text.upper()
    if kind in ("spaces", "all"):
        text = text.replace(" ", draw(st.sampled_from(SPACES)))
    if kind in ("full width", "all"):
        text = full_width(text)
    if kind in ("zero width", "all"):
        positions = draw(st.lists(st.integers(0, 200), min_size=1, max_size=6))
        chars = draw(st.lists(st.sampled_from(ZERO_WIDTH), min_size=6, max_size=6))
        text = with_zero_width(text, positions, chars)
    return phrase, text


@settings(max_examples=150, deadline=None)
@given(transformed())
def test_a_phrase_reads_the_same_whatever_keyboard_typed_it(case):
    phrase, text = case
    plain, typed = extract_findings(phrase), extract_findings(text)
    assert typed.findings == plain.findings, (text, typed.findings, plain.findings)
    for record in typed.extracted:  # the writer's own words, at the writer's offsets
        assert text[record["start"] : record["end"]] == record["span"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_maps_back_into_itself(text):
    prepared = prepare(text)
    assert prepared.text == prepared.text.lower()
    assert all(len(run) <= MAX_RUN + 4 for run in prepared.text.split())
    last = 0
    for i in range(len(prepared.text) + 1):
        start, end = prepared.original_span(i, min(i + 1, len(prepared.text)))
        assert 0 <= start <= end <= len(text)
        assert start >= last or i == 0
        last = start
    for record in extract_findings(text).extracted:
        assert text[record["start"] : record["end"]] == record["span"]


def test_the_prepared_text_is_what_the_reader_reads():
    prepared = prepare("I CAN\u2019T\u00a0feel  my\u200b BUM\n\n\nＮＯ fever")
    assert prepared.text == "i can't feel my bum\nno fever"
    first, last = prepared.original_span(0, len("i can't"))
    assert prepared.original[first:last] == "I CAN\u2019T"


def test_a_run_without_spaces_is_cut():
    assert prepare("(" * 1000).text.split() == ["(" * MAX_RUN] * 15 + ["(" * (1000 - 15 * MAX_RUN)]


def test_pathological_texts_are_read():
    """Long and odd inputs read (their time is measured in benchmarks/bench_text.py)."""
    for text in ["(" * 5000, "1" + " " * 5000, "no fever, " * 500, "\U0001f633" * 2000]:
        reading = extract_findings(text)
        for record in reading.extracted:
            assert text[record["start"] : record["end"]] == record["span"]
