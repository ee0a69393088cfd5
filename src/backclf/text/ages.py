"""Ages and sexes written with numbers: "I'm 34", "41F", "22 m", "a 74-year-old", "Age: 36",
"Male, 52", "I'm seventy-six" (number words are digits in the numeral view), "49 y/o M".

Only the described person's age counts: "my son is nine" in a text about the writer is
someone else's, and so is "my 2-year-old"; an object's age is nobody's ("I have a
40-year-old mortgage", "lifting a 30-year-old wardrobe").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from backclf.text.lexicon import lexicon
from backclf.text.numerals import number
from backclf.text.people import Patient, person_word

NOT_AN_AGE_AFTER = (
    r"(?!\s*(?:weeks?|wks?|days?|months?|years? ago|%|/|kg|kgs|kilos?|lbs?|pounds|stones?|"
    r"st\b|cm|mm|ft|feet|foot|metres?|meters?|m\b|mph|hours?|hrs?|mins?|minutes?|times?|"
    r"out of|of 10|x\b|am\b|pm\b|o'?clock|\.\d|:\d|-\d|th\b|nd\b|rd\b|st\b))"
)
SEXES = r"man|woman|boy|girl|lady|gentleman|guy|male|female|gent|lad|bloke|fella"


@cache
def _age_patterns() -> tuple[re.Pattern, ...]:
    people = sorted({*lexicon().people.female, *lexicon().people.male, *lexicon().people.any,
                     "mom", "mum"}, key=len, reverse=True)  # fmt: skip
    who = "|".join(re.escape(p) for p in people)
    return (
        # "a 74-year-old man", "19 year old girl", "my 7 yr old daughter", "45yo", "49 y/o M"
        re.compile(
            rf"(?<![\d.])\b(?P<n>\d{{1,3}})\s*-?\s*(?:years?|yrs?|yr)\s*-?\s*old\b"
            rf"(?:\s+(?P<who>{who}|{SEXES}))?"
            rf"|\b(?P<n2>\d{{1,3}})\s*(?:yo|y/o|y\.o\.|yob)\b"
            rf"(?:,?\s*(?P<sex2>m|f|{SEXES})\b(?!\s*(?:etres?|eters?)))?"
            rf"(?:\s+(?P<who2>{who})\b)?",
        ),
        # "I'm 34", "aged 50", "Age: 36", "He's 38", "My mum is 84", "My husband, 60,"
        re.compile(
            rf"\b(?P<who>i'?m|i am|im|aged|age\s*\??:?(?:\s*a\s*:)?|he'?s|she'?s|he is|she is|"
            rf"(?:{who})\s*(?:is|'s|,|\(\s*(?:he|she) is|\(|[a-z][a-z'-]{{1,20}}\s*\(|"
            rf",?\s*who\s*(?:is|'s|has just turned|"
            rf"just turned|turned|will be|is now|'s now)))\s*"
            rf"(?:only |just |nearly |almost |about |around |turning |now )?"
            rf"(?P<n>\d{{1,3}})\b(?:\s*(?:years?|yrs?)(?! ago))?{NOT_AN_AGE_AFTER}",
        ),
        # "41F", "22 m", "29M"; a note's "9/M", "42/F", and "HPC: 9M" (one digit only after
        # a note's heading or at the start: "9m" is also nine metres or months)
        re.compile(
            r"(?<![\w/.])(?P<n>\d{2,3})\s?(?P<sex>[mf])\b(?!\s*(?:etres?|eters?|iles?|ins?))"
            r"|(?<![\w/.])(?P<n2>\d{1,3})\s*/\s*(?P<sex2>[mf])\b(?!\s*/)"
            r"|(?:^|\b(?:hpc|hpi|pc|hx|history|pt|patient)\s*:)\s*(?P<n3>\d)\s?(?P<sex3>[mf])\b"
            r"(?!\s*(?:etres?|eters?|iles?|ins?|onths?))",
        ),
        # "Jo (41) has back pain": a name with an age, at the start of a sentence (it counts
        # only in a text that names no one else as the person described: see ages())
        re.compile(
            r"(?:^|[.!?\n]\s*|\b(?:about|re|for)\s+)(?P<name>[a-z][a-z'-]{1,20})\s*"
            r"\(\s*(?P<n4>\d{1,3})\s*(?:y|yo|yrs?|years?)?\s*\)"
        ),
        # "Male, 52", "woman, 28 years", "man 45 years", "I am 52 years man"
        re.compile(
            rf"(?<!['])\b(?P<sex>{SEXES}|m|f)\s*,?\s*(?P<n>\d{{1,3}})\b{NOT_AN_AGE_AFTER}"
            rf"|\b(?P<n2>\d{{1,3}})\s*(?:years?|yrs?)?(?:\s*old)?\s*,?\s*(?:and\s+)?"
            rf"(?P<sex2>{SEXES})\b",
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
          "gentleman": "male", "guy": "male", "gent": "male", "lad": "male", "bloke": "male",
          "fella": "male"}  # fmt: skip
#: Words that may stand before a number in brackets and name no one ("pain (7)").
NOT_NAMES = frozenset({"pain", "score", "severity", "temp", "temperature", "weight", "wt", "bp",
                       "hr", "rr", "sats", "power", "day", "days", "week", "weeks", "age",
                       "back", "leg", "legs", "level", "grade", "stage", "scale"})  # fmt: skip
OWNED = re.compile(r"\b(?:my|our|his|her|their|your)\s+$")
NOT_AFTER_HEIGHT = re.compile(r"(?:fell|fall|from|off|drop|height|about|around)\s*$")
#: "I have a 40-year-old mortgage", "lifted a 30 year old wardrobe": an object's age.
AN_OBJECT_OF = re.compile(
    r"\b(?:have|has|had|got|get|own|owns|owned|bought|buy|drive|drives|drove|sold|sell|"
    r"lifted|lifting|lift|carried|carrying|carry|moved|moving|move|fixing|fixed|paying|pay|"
    r"paid|inherited|restoring|renting)\s+(?:a|an|the|this|our|my)\s+$"
)


def _age_belongs(who: str | None, patient: Patient) -> bool:
    """Whether an age said of ``who`` is the described person's."""
    if who is None:
        return True
    who = re.sub(r"'s\b", "", who.lower()).strip(" ,(?:")
    if who in SEX_OF or who.startswith("age"):
        return True
    if who.replace("'", "") in ("im", "i am") or who.startswith("i"):
        return patient.kind == "writer"
    if who.startswith(("he", "she")):
        return patient.kind != "writer"
    word = person_word(re.split(r"[^\w'-]+", who)[0])
    return patient.kind == "relative" and word is not None and word == patient.word


def ages(text: str, patient: Patient) -> Iterator[tuple[int, int, str, object]]:
    """Ages (and sexes written with them) of the person described, as (start, end, finding,
    value) in ``text`` (the numeral view)."""
    for pattern in _age_patterns():
        for m in pattern.finditer(text):
            groups = {k: v for k, v in m.groupdict().items() if v}
            n = groups.get("n") or groups.get("n2") or groups.get("n3") or groups.get("n4")
            who = groups.get("who") or groups.get("who2")
            sex = groups.get("sex") or groups.get("sex2") or groups.get("sex3")
            name = groups.get("name")
            if name and (person_word(name) or name in NOT_NAMES or patient.kind != "third_person"):
                continue  # "our toddler (2)" is handled above; a name counts only alone
            before = text[max(0, m.start() - 24) : m.start()]
            if n is None or NOT_AFTER_HEIGHT.search(before[-12:]) or AN_OBJECT_OF.search(before):
                continue
            owned = who is None and not sex and OWNED.search(before[-8:])
            named_by_age = patient.kind == "relative" and patient.word == "child"
            if owned and patient.kind != "third_person" and not named_by_age:
                continue  # "my 2-year-old": someone's child (unless the text is about a child)
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
