"""spaCy component ``backclf_numbers``: numbers with units, read off the text.

- age: "I'm 34", "41F", "22 m", "a 74-year-old", "Age: 36", "Male, 52", "I'm seventy-six",
  "my 7 yr old daughter" (only the age of the person described: "my son is nine" in a text
  about the writer is someone else's);
- sex written with an age ("41F", "Sex: M", "Male, 52");
- temperature in C or F ("temp 38.6", "101F", "T 102.2F", "Fever? Yes, 39.1"), as C;
- pain scores ("7/10", "six out of ten", "like a 7", "Pain score? 5");
- how long ago the pain began ("2/7", "1/52", "3/12", "for a fortnight", "three days ago",
  "since yesterday", "this morning");
- weight lost ("lost nearly a stone", "6 kg"): 3 kg or more is weight loss, less is not;
- fall height and speed ("fell about three metres", "at 70 mph"): a fall from 1 m (3 ft) or
  5 stairs or more, or a crash at 100 km/h (60 mph) or more, is major trauma (the Canadian
  C-spine rule's dangerous mechanisms, Stiell et al., JAMA 2001;286:1841).

Each reading is a span of ``doc.spans["backclf_findings"]`` labelled ``"<finding>=<value>"``
with span id ``number``, so ConText and the merge treat it like any other mention.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from backclf.text.findings import NUMBER, SPANS
from backclf.text.lexicon import lexicon
from backclf.text.people import Patient, person_word
from backclf.text.tokens import tokens

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
FEW = {"a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "several": 4,
       "half a": 0.5, "a half": 0.5}  # fmt: skip
#: A number word is matched as any word and checked by :func:`number` (an alternation of every
#: number word made the patterns several times slower).
_WORD = r"[a-z]+(?:-[a-z]+)?"
#: Ages and pain scores are number words only (not "a", "few").
_NUMBER_WORD = (
    r"(?:(?:" + "|".join(TENS) + r")(?:-(?:" + "|".join(list(UNITS)[1:10]) + r"))?"
    r"|" + "|".join(sorted(UNITS, key=len, reverse=True)) + ")"
)
NUM = rf"(?:\d+(?:\.\d+)?|{_WORD})"
FEW_NUM = rf"(?:\d+(?:\.\d+)?|a couple of|couple of|a few|several|half an?|an?|{_WORD})"


def lowered(text: str) -> str:
    """The text in lower case, character for character (offsets stay the text's)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def number(text: str) -> float | None:
    """A number written in digits or words ("76", "seventy-six", "a couple of"), or ``None``
    when the words are no number ("many")."""
    text = text.lower().strip()
    if text in FEW:
        return float(FEW[text])
    if text.startswith("half a"):
        return 0.5
    try:
        return float(text)
    except ValueError:
        pass
    parts = re.split(r"[- ]", text)
    if not all(p in TENS or p in UNITS for p in parts):
        return None
    if len(parts) == 2 and not (parts[0] in TENS and parts[1] in UNITS):
        return None
    return float(sum(TENS.get(p, UNITS.get(p, 0)) for p in parts))


# -- age and sex -----------------------------------------------------------------------------

NOT_AN_AGE_AFTER = (
    r"(?!\s*(?:weeks?|wks?|days?|months?|years? ago|%|/|kg|kgs|kilos?|lbs?|pounds|stones?|"
    r"st\b|cm|mm|ft|feet|foot|metres?|meters?|m\b|mph|hours?|hrs?|mins?|minutes?|times?|"
    r"out of|of 10|x\b|am\b|pm\b|o'?clock|\.\d|:\d|-\d|th\b|nd\b|rd\b|st\b))"
)


@cache
def _age_patterns() -> tuple[re.Pattern, ...]:
    people = sorted({*lexicon().people.female, *lexicon().people.male, *lexicon().people.any,
                     "mom", "mum"}, key=len, reverse=True)  # fmt: skip
    who = "|".join(re.escape(p) for p in people)
    sexes = r"man|woman|boy|girl|lady|gentleman|guy|male|female|gent|lad"
    return (
        # "a 74-year-old man", "19 year old girl", "my 7 yr old daughter", "45yo", "45 y/o"
        re.compile(
            rf"\b(?P<n>\d{{1,3}})\s*-?\s*(?:years?|yrs?|yr)\s*-?\s*old\b"
            rf"(?:\s+(?P<who>{who}|{sexes}))?"
            rf"|\b(?P<n2>\d{{1,3}})\s*(?:yo|y/o|y\.o\.|yob)\b",
        ),
        # "I'm 34", "aged 50", "Age: 36", "He's 38", "My mum is 84", "My husband, 60,"
        re.compile(
            rf"\b(?P<who>i'?m|i am|im|aged|age\s*\??:?(?:\s*a\s*:)?|he'?s|she'?s|he is|she is|"
            rf"(?:{who})\s*(?:is|'s|’s|,|\(\s*(?:he|she) is))\s*"
            rf"(?:only |just |nearly |almost |about |around |turning |now )?"
            rf"(?P<n>\d{{1,3}}|{_NUMBER_WORD})\b(?:\s*(?:years?|yrs?)(?! ago))?{NOT_AN_AGE_AFTER}",
        ),
        # "41F", "22 m", "29M"
        re.compile(
            r"(?<![\w/.])(?P<n>\d{2,3})\s?(?P<sex>[mf])\b(?!\s*(?:etres?|eters?|iles?|ins?))",
        ),
        # "Male, 52", "woman, 28 years", "man 45 years", "I am 52 years man"
        re.compile(
            rf"(?<!['’])\b(?P<sex>{sexes}|m|f)\s*,?\s*(?P<n>\d{{1,3}})\b{NOT_AN_AGE_AFTER}"
            rf"|\b(?P<n2>\d{{1,3}})\s*(?:years?|yrs?)?(?:\s*old)?\s*,?\s*(?:and\s+)?(?P<sex2>{sexes})\b",
        ),
    )


SEX_LETTER = re.compile(
    r"\bsex\s*(?:and age)?\s*[:?]?\s*(?P<sex>m|f|male|female)\b|"
    r"\b(?:i'?m|i am)\s+(?:a\s+)?(?P<sex2>male|female)\b|"
    # a note or message that opens with the person: "Woman, aged 52", "Man attending with"
    r"^\s*(?P<sex3>woman|man|female|male|lady|gentleman)\b(?=\s*(?:,|here|attending|aged|\d))|"
    r"\b(?:in|for)\s+an?\s+(?P<sex4>woman|man)\s+aged\b",
)
SEX_OF = {"m": "male", "f": "female", "male": "male", "female": "female", "man": "male",
          "woman": "female", "boy": "male", "girl": "female", "lady": "female",
          "gentleman": "male", "guy": "male", "gent": "male", "lad": "male"}  # fmt: skip
OWNED = re.compile(r"\b(?:my|our|his|her|their|your)\s+$")
NOT_AFTER_HEIGHT = re.compile(r"(?:fell|fall|from|off|drop|height|about|around)\s*$")


def _age_belongs(who: str | None, patient: Patient) -> bool:
    """Whether an age said of ``who`` is the described person's."""
    if who is None:
        return True
    who = re.sub(r"['’]s\b", "", who.lower()).strip(" ,(?:")
    if who in SEX_OF or who.startswith("age"):
        return True
    if who.replace("'", "") in ("im", "i am") or who.startswith("i"):
        return patient.kind == "writer"
    if who.startswith(("he", "she")):
        return patient.kind != "writer"
    word = person_word(who.split()[0])
    return patient.kind == "relative" and word is not None and word == patient.word


def ages(text: str, patient: Patient) -> Iterator[tuple[int, int, str, object]]:
    for pattern in _age_patterns():
        for m in pattern.finditer(text):
            groups = {k: v for k, v in m.groupdict().items() if v}
            n = groups.get("n") or groups.get("n2")
            who = groups.get("who")
            sex = groups.get("sex") or groups.get("sex2")
            if n is None or NOT_AFTER_HEIGHT.search(text[max(0, m.start() - 12) : m.start()]):
                continue
            if who is None and not sex and OWNED.search(text[max(0, m.start() - 8) : m.start()]):
                continue  # "my 2-year-old": someone's child
            age = number(n)
            if age is None or not 1 <= age <= 120 or age != int(age):
                continue
            if not _age_belongs(who, patient):
                continue
            if who and who.lower() in SEX_OF and not sex:
                sex = who
            yield m.start(), m.end(), "age", int(age)
            if sex and (patient.kind != "relative" or sex.lower() not in ("m", "f")):
                yield m.start(), m.end(), "sex", SEX_OF[sex.lower()]
    for m in SEX_LETTER.finditer(text):
        sex = next(g for g in m.groups() if g)
        yield m.start(), m.end(), "sex", SEX_OF[sex.lower()]


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
        if (decimal and TEMP_CUE.search(before)) or TEMP_NEXT_TO_CUE.search(before[-25:]):
            value = _celsius(float(m.group("n")), None)
            if value is not None:
                yield m.start(), m.end(), "temperature_c", value


# -- pain score ------------------------------------------------------------------------------

PAIN_SCORES = (
    re.compile(
        rf"(?<![\d/.])(?P<n>\d{{1,2}}|{_NUMBER_WORD})\s*(?:/|out of|of|from)\s*(?:10|ten)\b"
    ),
    re.compile(
        r"\b(?:pain score|pain|score|severity)\s*(?:is|of|:|\?)?\s*(?P<n>\d{1,2})\b(?![/\d]|\.\d)"
        r"(?!\s*(?:days?|weeks?|hours?|years?|kg|lb|mph|am|pm))",
    ),
    re.compile(
        rf"\b(?:like|about|around|maybe|roughly|probably|at least|give it|says?|said|rates? it|"
        rf"rated it|scores? it)\s+(?:it'?s\s+|it is\s+)?(?:an?\s+)?"
        rf"(?P<n>\d{{1,2}}|{_NUMBER_WORD})\b(?!\s*(?:yrs?|years?|kg|kilos?|lbs?|pounds|stone|days?|"
        rf"weeks?|hours?|mins?|minutes?|months?|times|mph|am|pm|o'?clock|/|out|of|from|-|ft|"
        rf"feet|metres?|m\b|%|x\b))",
    ),
)


PAIN_NEARBY = re.compile(r"\b(?:pain|hurt|agony|sore|ache|kill|score)")


def pain_scores(text: str) -> Iterator[tuple[int, int, str, object]]:
    for i, pattern in enumerate(PAIN_SCORES):
        if i == 0 and "10" not in text and "ten" not in text:
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
_UNIT = r"(?P<u>days?|weeks?|wks?|fortnights?|months?|hours?|hrs?|minutes?|mins?)"
DURATIONS = (
    # clinical: 2/7 days, 1/52 weeks, 3/12 months
    (re.compile(r"(?<![\w/.])(?P<n>\d{1,2})/(?P<d>7|52|12)(?![\d/])"), None),
    (
        re.compile(
            rf"\b(?:for|since|from|over|in|now|the|these)\s+(?:(?:the|my)\s+)?(?:last|past)?\s*"
            rf"(?P<n>{FEW_NUM})\s+{_UNIT}\b(?!\s*(?:old|pregnant|gone))",
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
    (re.compile(r"\b(?:a|one)\s+fortnight\b"), 14.0),
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
FALL_HEIGHT = re.compile(
    rf"\b(?:fell|fall|fallen|falling|dropped|came down|jumped|landed)\b[^.!?\n]{{0,40}}?"
    rf"(?:(?P<n>{NUM})\s*(?P<u>m|metres?|meters?|ft|feet|foot|storeys?|story|stories|floors?|"
    rf"stairs|steps)|(?P<ord>{'|'.join(ORDINALS)})[ -](?:floor|storey|story))\b",
)
SPEED = re.compile(rf"\b(?P<n>{NUM})\s*(?P<u>mph|km/h|kmh|kph|miles an hour|miles per hour)\b")
MAJOR_FALL_METRES, MAJOR_FALL_STAIRS, MAJOR_SPEED_KMH = 1.0, 5, 100.0


def trauma(text: str) -> Iterator[tuple[int, int, str, object]]:
    fell = any(w in text for w in ("fell", "fall", "dropped", "came down", "jumped", "landed"))
    for m in FALL_HEIGHT.finditer(text) if fell else ():
        if m.group("ord"):  # "from the second floor": a storey (3 m) a floor
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


READERS = (temperatures, pain_scores, durations, weights, trauma)


def _label(finding: str, value: object) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"{finding}={value}"


@Language.component("backclf_numbers")
def read_numbers(doc: Doc) -> Doc:
    """Add the numbers with units to the doc's finding spans."""
    tok = tokens(doc)
    text = lowered(tok.source)  # the patterns are lower case (re.I: 5 times slower)
    patient = doc._.backclf_patient or Patient("writer")
    found = []
    for reader in READERS:
        found += reader(text)
    measured = {
        i
        for start, end, finding, _ in found
        if finding == "temperature_c"
        for i in range(start, end)
    }
    found += [  # "101 F" is a temperature, not a 101-year-old woman
        a for a in ages(text, patient) if measured.isdisjoint(range(a[0], a[1]))
    ]
    if not found:
        return doc
    spans = list(doc.spans[SPANS]) if SPANS in doc.spans else []
    for start, end, finding, value in found:  # characters to the tokens that hold them
        first = bisect_right(tok.idx, start) - 1
        last = bisect_right(tok.idx, end - 1)
        if 0 <= first < last:
            spans.append(Span(doc, first, last, _label(finding, value), span_id=NUMBER))
    doc.spans[SPANS] = spans
    return doc


__all__ = ["number", "read_numbers"]
