"""Quantities written with numbers (digits in the numeral view, :mod:`.numerals`):

- temperature in C or F ("temp 38.6", "101F", "T 102.2F", "Fever? Yes, 39.1"), as C;
- pain scores ("7/10", "nine out of ten", "like a 7", "Pain score? 5");
- how long ago the pain began ("2/7", "1/52", "3/12", "x2/7", "5 wks", "for a fortnight",
  "three days ago", "since yesterday", "this morning");
- weight lost ("lost nearly a stone", "6 kg"): 3 kg or more is weight loss, less is not;
- fall height and speed ("fell about three metres", "came off a 2 m wall", "at 70 mph"): a
  fall from 1 m (3 ft) or 5 stairs or more, or a crash at 100 km/h (60 mph) or more, is major
  trauma (the Canadian C-spine rule's dangerous mechanisms, Stiell et al., JAMA
  2001;286:1841);
- weeks of pregnancy as a note writes them ("22/40", "G2P1, 31/40"): pregnant;
- a time spent out cold ("was out for 30 sec", "knocked out for a minute"): a faint or collapse.

Each reader gives (start, end, finding, value) in the text it reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from backclf.text.numerals import FEW_NUM, NUM, number

# -- temperature -----------------------------------------------------------------------------

TEMP_UNIT = re.compile(
    r"(?<![\w.])(?P<n>\d{2,3}(?:\.\d{1,2})?)\s*(?:°|º|degrees?|deg)?\s*"
    r"(?P<u>c|f|celsius|fahrenheit|centigrade)\b",
)
TEMP_BARE = re.compile(r"(?<![\w./])(?P<n>\d{2,3}(?:\.\d{1,2})?)(?![\d/]|\.\d|\s*(?:/|%|kg|lb))")
TEMP_CUE = re.compile(
    r"\b(?:temperature|temp|t|fever|febrile|pyrexial|pyrexia|thermometer|running|reading|hot|"
    r"shivery|feverish|burning up)\b"
    r"[^.!\n]*$",
)
TEMP_NEXT_TO_CUE = re.compile(
    r"\b(?:temperature|temp|t|fever)\s*(?:was|is|of|at|:|=|reading|now|~)?\s*(?:of\s*)?$"
)


def _celsius(value: float, unit: str | None) -> float | None:
    if (unit and unit.lower().startswith("f")) or (unit is None and 93 <= value <= 110):
        if not 93 <= value <= 110:
            return None
        value = (value - 32) * 5 / 9
    celsius = round(value, 1)
    return celsius if 34.0 <= celsius <= 43.5 else None


#: "today I'm 38.4", "38.4 now": a reading with a decimal said of the writer or of now is a
#: temperature (assumption: no other body measure is written 35-42.5 with a decimal this way;
#: a whole number after "I'm" stays an age, :mod:`.ages`).
TEMP_SAID_BEFORE = re.compile(r"\b(?:i'?m|i am|im)\s+(?:now\s+|at\s+|up to\s+)?$")
TEMP_SAID_AFTER = re.compile(
    r"\s*(?:today|now|tonight|this morning|this evening|this afternoon|last night)\b"
)

NOT_A_TEMPERATURE_AFTER = re.compile(r"\s*(?:years?|yrs?|yo\b|y/o|kg|kilos?|stone|lbs?|%|cm|mm)")


def _said_as_now(text: str, m: re.Match) -> bool:
    n = m.group("n")
    if not re.fullmatch(r"\d\d\.\d", n) or not 35.0 <= float(n) <= 42.5:
        return False  # "38.50" is money; one decimal is how a thermometer reads
    if NOT_A_TEMPERATURE_AFTER.match(text, m.end()):
        return False
    before = text[max(0, m.start() - 16) : m.start()]
    return bool(TEMP_SAID_BEFORE.search(before) or TEMP_SAID_AFTER.match(text, m.end()))


def temperatures(text: str) -> Iterator[tuple[int, int, str, object]]:
    taken: set[int] = set()
    for m in TEMP_UNIT.finditer(text):
        value = _celsius(float(m.group("n")), m.group("u"))
        if value is not None:
            taken.update(range(m.start(), m.end()))
            yield m.start(), m.end(), "temperature_c", value
    for m in TEMP_BARE.finditer(text):
        if m.start() in taken:
            continue
        before = text[max(0, m.start() - 60) : m.start()]
        decimal = "." in m.group("n")
        cued = decimal and (TEMP_CUE.search(before) or _said_as_now(text, m))
        if cued or TEMP_NEXT_TO_CUE.search(before[-25:]):
            value = _celsius(float(m.group("n")), None)
            if value is not None:
                yield m.start(), m.end(), "temperature_c", value


# -- pain score ------------------------------------------------------------------------------

PAIN_SCORES = (
    re.compile(
        r"(?<![\d/.])(?P<n>\d{1,2})\s*(?:/|out of|outta|outa|out ov|oughta|of|from)\s*"
        r"10\b(?!\d|\.\d)"
    ),
    re.compile(
        r"\b(?:pain score|pain level|pain|score|severity)\s*(?:is|of|:|\?|at)?\s*"
        r"(?:an?\s+)?(?P<n>\d{1,2})\b(?![/\d]|\.\d)"
        r"(?!\s*(?:days?|weeks?|wks?|hours?|hrs?|hr\b|h\b|mins?|minutes?|months?|years?|yrs?|kg|lb|"
        r"mph|am|pm))",
    ),
    re.compile(
        r"\b(?:like|about|around|maybe|roughly|probably|at least|give it|says?|said|rates? it|"
        r"a solid|solid|easily|a good|i'?d say|id say|"
        r"rated it|scores? it)\s+(?:it'?s\s+|it is\s+)?(?:an?\s+)?"
        r"(?P<n>\d{1,2})\b(?!\s*(?:yrs?|years?|kg|kilos?|lbs?|pounds|stone|days?|"
        r"weeks?|hours?|mins?|minutes?|months?|times|mph|am|pm|o'?clock|/|out|of|from|-|ft|"
        r"feet|metres?|m\b|%|x\b))",
    ),
)


PAIN_NEARBY = re.compile(r"\b(?:pain|hurt|agony|sore|ache|kill|score)")


def pain_scores(text: str) -> Iterator[tuple[int, int, str, object]]:
    for i, pattern in enumerate(PAIN_SCORES):
        if i == 0 and "10" not in text:
            continue  # (cheap tests first: most texts have no score)
        for m in pattern.finditer(text):
            around = text[max(0, m.start() - 80) : m.end() + 20]
            if i == 2 and not PAIN_NEARBY.search(around):
                continue
            score = number(m.group("n"))
            if score is not None and 0 <= score <= 10 and score == int(score):
                yield m.start(), m.end(), "pain_severity", int(score)


# -- days since onset ------------------------------------------------------------------------

UNIT_DAYS = {"day": 1, "week": 7, "wk": 7, "fortnight": 14, "month": 30, "hour": 0, "hr": 0,
             "minute": 0, "min": 0}  # fmt: skip
#: "for about 6 weeks", "for just over a month": a hedge before the number.
HEDGE = (
    r"(?:(?:about|around|roughly|nearly|almost|over|approx|approximately|maybe|probably|"
    r"at least|just over|just under|a good|the best part of|more than|less than)\s+)?"
)
_UNIT = r"(?P<u>days?|weeks?|wks?|fortnights?|months?|hours?|hrs?|minutes?|mins?)"
DURATIONS = (
    # clinical: 2/7 days, 1/52 weeks, 3/12 months
    (re.compile(r"(?:(?<![\w/.])|(?<=\bx))(?P<n>\d{1,2})/(?P<d>7|52|12)(?![\d/])"), None),
    (
        re.compile(
            rf"\b(?:for|since|from|over|in|now|the|these)\s+(?:(?:the|my)\s+)?(?:last|past)?\s*"
            rf"{HEDGE}(?P<n>{FEW_NUM})\s+{_UNIT}\b(?!\s*(?:old|pregnant|gone))",
        ),
        None,
    ),
    (re.compile(rf"\b(?P<n>{FEW_NUM})\s+{_UNIT}\s+(?:ago|now|already|back|of)\b"), None),
    (re.compile(rf"\bduration\s*:?\s*(?P<n>{FEW_NUM})\s+{_UNIT}\b"), None),
    (
        re.compile(
            rf"(?:^|[.,?!:;]\s*|\bbeen\s+|\bit'?s\s+|\bnew\s*,?\s*|"
            rf"\b(?:sore|pain|ache|aching|hurting|bad|agony|lbp)\s+(?:for\s+)?)(?P<n>{FEW_NUM})\s+"
            rf"{_UNIT}\b(?!\s*(?:old|pregnant|gone|later|before|after))",
        ),
        None,
    ),
    (re.compile(r"\b(?:a|one|the past|the last|past|last|over a|for a)\s+fortnight\b"), 14.0),
    # "since last tuesday", "started last friday", "since last week": a day of the week before
    # this one, 2 to 13 days ago whatever today is; 7, the middle of that, is the estimate
    # (assumption: the text has no date; 7-29 days is also the band most of those days fall
    # in). "since Monday" (this week) gives no count, as the written rounds label it.
    (
        re.compile(
            r"\b(?:since|from|started|start|began|begun|came on|happened|back went|it went|did it|"
            r"did my back|hurt it|on)\s+(?:it\s+)?last\s+(?:monday|tuesday|wednesday|thursday|"
            r"friday|saturday|sunday|mon|tues?|wed|thurs?|fri|sat|sun)\b|\bsince last (?:week|wk)\b"
        ),
        7.0,
    ),
    (
        re.compile(
            r"\b(?:since\s+|from\s+)?(?:this morning|today|earlier today|this afternoon|"
            r"this evening|this am|an hour ago|hours ago|just now|a few hours ago|"
            r"\d+\s*(?:hours?|hrs?) ago)\b",
        ),
        0.0,
    ),
    (re.compile(r"\b(?:since\s+)?(?:yesterday|last night|last nite|overnight)\b"), 1.0),
    (re.compile(r"\bthe day before yesterday\b"), 2.0),
)
PER = {"7": 1, "52": 7, "12": 30}


def durations(text: str) -> Iterator[tuple[int, int, str, object]]:
    seen: set[int] = set()  # characters already read as a duration
    for pattern, fixed in DURATIONS:
        for m in pattern.finditer(text):
            start = m.start("n") if "n" in pattern.groupindex and m.group("n") else m.start()
            if start in seen:
                continue
            if fixed is not None:
                days = fixed
            else:
                n = number(m.group("n"))
                if n is None:
                    continue
                if "d" in pattern.groupindex:
                    days = n * PER[m.group("d")]
                else:
                    days = n * UNIT_DAYS.get(m.group("u").lower().rstrip("s"), 0)
            if 0 <= days <= 36500:
                seen.update(range(m.start(), m.end()))
                yield m.start(), m.end(), "days_since_onset", float(days)


# -- weight lost -----------------------------------------------------------------------------

KG = {"kg": 1, "kgs": 1, "kilo": 1, "kilos": 1, "kilogram": 1, "kilograms": 1, "lb": 0.4536,
      "lbs": 0.4536, "pound": 0.4536, "pounds": 0.4536, "st": 6.35, "stone": 6.35,
      "stones": 6.35}  # fmt: skip
WEIGHT_LOST = re.compile(
    rf"\b(?:lost|losing|lose|dropped|shed|down|loss(?: of)?)\s+(?:about |nearly |almost |over |"
    rf"around |roughly |approx\.? |at least |more than )?(?P<n>{FEW_NUM})\s*"
    rf"(?P<u>kgs?|kilos?|kilograms?|lbs?|pounds?|st|stones?)\b"
    rf"|\b(?:wt|weight)\s+loss\s+(?:of\s+)?(?P<n2>\d+(?:\.\d+)?)\s*(?P<u2>kgs?|kilos?|lbs?|st)\b",
)
#: NICE NG12 and most pathways count a loss of 5% of body weight; without the weight, 3 kg.
SIGNIFICANT_LOSS_KG = 3.0


def weights(text: str) -> Iterator[tuple[int, int, str, object]]:
    if not any(w in text for w in ("los", "dropped", "shed", "down")):
        return
    for m in WEIGHT_LOST.finditer(text):
        n, unit = (m.group("n"), m.group("u")) if m.group("n") else (m.group("n2"), m.group("u2"))
        amount = number(n)
        if amount is None:
            continue
        kg = amount * KG[unit.lower()]
        yield m.start(), m.end(), "unexplained_weight_loss", kg >= SIGNIFICANT_LOSS_KG


# -- fall height and speed -------------------------------------------------------------------

METRES = {"m": 1, "metre": 1, "metres": 1, "meter": 1, "meters": 1, "ft": 0.3048,
          "feet": 0.3048, "foot": 0.3048, "storey": 3, "storeys": 3, "story": 3, "stories": 3,
          "floor": 3, "floors": 3}  # fmt: skip
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2,
            "3rd": 3, "4th": 4, "5th": 5}  # fmt: skip
_HEIGHT_UNIT = r"(?P<u>m|metres?|meters?|ft|feet|foot|storeys?|story|stories|floors?|stairs|steps)"
FALL_HEIGHT = re.compile(
    rf"\b(?:fell|fall|fallen|falling|dropped|came down|jumped|landed|came off|come off|"
    rf"coming off|thrown off|tumbled|toppled|slipped off)\b[^.!?\n]{{0,40}}?"
    rf"(?:(?P<n>{NUM})\s*{_HEIGHT_UNIT}|(?P<ord>{'|'.join(ORDINALS)})[ -](?:floor|storey|story))\b",
)
#: "a 3 m fall", "a ten foot drop", "2 metres up when I fell".
FALL_NOUN = re.compile(
    rf"\b(?P<n>{NUM})\s*-?\s*{_HEIGHT_UNIT}\s*-?\s*(?:fall|drop|up\b[^.!?\n]{{0,30}}?\bfell)\b"
)
SPEED = re.compile(rf"\b(?P<n>{NUM})\s*(?P<u>mph|km/h|kmh|kph|miles an hour|miles per hour)\b")
MAJOR_FALL_METRES, MAJOR_FALL_STAIRS, MAJOR_SPEED_KMH = 1.0, 5, 100.0


def trauma(text: str) -> Iterator[tuple[int, int, str, object]]:
    fell = any(w in text for w in ("fell", "fall", "drop", "came down", "jumped", "landed", "off"))
    falls = [*FALL_HEIGHT.finditer(text), *FALL_NOUN.finditer(text)] if fell else []
    for m in falls:
        if m.groupdict().get("ord"):  # "from the second floor": a storey (3 m) a floor
            yield m.start(), m.end(), "major_trauma", True
            continue
        n, unit = number(m.group("n")), m.group("u").lower()
        if n is None:
            continue
        major = (
            n >= MAJOR_FALL_STAIRS
            if unit in ("stairs", "steps")
            else (n * METRES[unit] >= MAJOR_FALL_METRES)
        )
        yield m.start(), m.end(), "major_trauma", major
    for m in SPEED.finditer(text) if any(w in text for w in ("mph", "km", "kph", "mile")) else ():
        n = number(m.group("n"))
        if n is None:
            continue
        kmh = n * (1 if m.group("u").lower().startswith("k") else 1.609)
        if kmh >= MAJOR_SPEED_KMH:
            yield m.start(), m.end(), "major_trauma", True


# -- time out cold ---------------------------------------------------------------------------

#: "was out for 30 sec", "knocked out for a minute", "out cold for a few seconds": a time
#: spent unconscious is a faint or a collapse. Not "was out for 20 minutes walking the dog".
OUT_FOR = re.compile(
    rf"\b(?:was|were|been|being|got|get|knocked|passed|blacked|went|i'?m|is|he'?s|she'?s)\s+"
    rf"(?:clean\s+|completely\s+|totally\s+|spark\s+|right\s+)?out\s+(?:cold\s+)?"
    rf"(?:for\s+)?(?:about\s+|around\s+|maybe\s+|like\s+|roughly\s+|at least\s+|nearly\s+|"
    rf"almost\s+|a good\s+|over\s+)?(?:{FEW_NUM}\s*|a\s+)?"
    rf"(?:secs?|seconds?|mins?|minutes?|moments?|min\b)\b"
    rf"(?![^.!?\n]{{0,30}}\b(?:walk|walking|run|running|jog|jogging|shopping|dog|drive|driving|"
    rf"lunch|dinner|smoke|fag|garden|shops|errand))"
)


def out_cold(text: str) -> Iterator[tuple[int, int, str, object]]:
    if " out " not in text:
        return
    for m in OUT_FOR.finditer(text):
        if m.group().startswith("went") and "cold" not in m.group():
            continue  # "went out for a minute" is going outside
        yield m.start(), m.end(), "fainting_or_collapse", True


# -- weeks of pregnancy ----------------------------------------------------------------------

#: "22/40", "31+2/40": weeks of a 40-week pregnancy, as notes write them.
GESTATION = re.compile(r"(?<![\w/.])(?P<n>\d{1,2})(?:\+\d)?/40\b")


def gestation(text: str) -> Iterator[tuple[int, int, str, object]]:
    if "/40" not in text:
        return
    for m in GESTATION.finditer(text):
        if 4 <= int(m.group("n")) <= 42:
            yield m.start(), m.end(), "pregnant", True


READERS = (temperatures, pain_scores, durations, weights, trauma, gestation, out_cold)
