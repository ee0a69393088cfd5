"""Free text in, findings out: a person's own words read into the findings contract.

A blank spaCy English pipeline (no model download: nothing is fetched at run time) with a
rule-based entity ruler built from ``lexicon.yaml``, negspacy's NegEx for negation (its
clinical termset plus the lexicon's additions), and ConText-style modifiers kept as data
(hypothetical, historical, resolved, uncertain). Ages, sex, temperatures (C or F),
durations and pain scores are read with regular expressions. Needs the ``text`` extra.

Unmentioned findings stay unknown. A red-flag finding that is mentioned but not clearly
negated (uncertain, hypothetical or historical) counts as present, and a note says so.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import cache
from typing import Any

from backclf import knowledge
from backclf.contract.assessment import ExtractedFinding as Mention
from backclf.contract.fields import FIELDS

WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "a few": 3,
    "several": 4,
}
_NUMBER = (
    r"(\d+(?:\.\d+)?|a couple of|a few|several|an?"
    r"|one|two|three|four|five|six|seven|eight|nine|ten)"
)
AGE_PATTERNS = [
    re.compile(r"\b(\d{1,3})[- ]?(?:year|yr)s?[- ]?old\b", re.I),
    re.compile(
        r"\b(?:i'?m|i am|aged|age:?)\s+(?:a\s+)?(\d{1,3})\b(?!\s*(?:days?|weeks?|%|/|out))", re.I
    ),
    re.compile(r"\b(\d{1,3})\s*(?:yo|y/o|years?)\b(?!\s*(?:ago|of))", re.I),
]
TEMPERATURE = re.compile(
    r"\b(?:temperature|temp|t)\s*(?:of|is|was|:)?\s*(\d{2,3}(?:\.\d)?)\s*(?:°|degrees?)?\s*([cf])?\b"
    r"|\b(\d{2,3}(?:\.\d)?)\s*(?:°\s*|degrees?\s*)([cf])?(?:elsius|ahrenheit)?\b",
    re.I,
)
SEVERITY = re.compile(r"\b(\d{1,2})\s*(?:/|out of|of)\s*10\b", re.I)
DURATIONS = [
    (
        re.compile(rf"\b(?:for|since|over)\s+(?:the\s+(?:last|past)\s+)?{_NUMBER}\s+days?\b", re.I),
        1,
    ),
    (re.compile(rf"\b{_NUMBER}\s+days?\s+(?:ago|of)\b", re.I), 1),
    (re.compile(rf"\b(?:started|duration|lasted)\s+{_NUMBER}\s+days?\b", re.I), 1),
    (
        re.compile(
            rf"\b(?:for|since|over)\s+(?:the\s+(?:last|past)\s+)?{_NUMBER}\s+weeks?\b", re.I
        ),
        7,
    ),
    (re.compile(rf"\b{_NUMBER}\s+weeks?\s+ago\b", re.I), 7),
]
DAY_WORDS = [
    (
        re.compile(
            r"\b(?:since|from)\s+(?:this morning|today|earlier today)\b|\bthis morning\b|\btoday\b",
            re.I,
        ),
        0,
    ),
    (re.compile(r"\b(?:since\s+)?(?:yesterday|last night)\b", re.I), 1),
]


def _value(finding: str, key: str) -> Any:
    kind = FIELDS[finding].kind
    if kind == "bool":
        return key in ("true", "uncertain")
    return key


@cache
def lexicon() -> dict[str, Any]:
    data = knowledge.read_yaml("lexicon.yaml")
    for finding, values in data["findings"].items():
        if finding not in FIELDS:
            raise ValueError(f"lexicon.yaml names unknown finding {finding!r}")
        for key in values:
            if key == "negated" or (key == "uncertain" and FIELDS[finding].kind == "bool"):
                continue
            if FIELDS[finding].kind == "enum" and key not in FIELDS[finding].values:
                raise ValueError(f"lexicon.yaml: {finding} has no value {key!r}")
    return data


@cache
def red_flag_findings() -> frozenset[str]:
    """Findings that some red-flag rule tests: caution applies to them."""
    names: set[str] = set()

    def walk(condition: Any) -> None:
        if isinstance(condition, dict):
            for key, arg in condition.items():
                if key in ("all", "any"):
                    for part in arg:
                        walk(part)
                elif key in FIELDS:
                    names.add(key)

    for rule in knowledge.red_flag_rules().rules:
        walk(rule.when)
    return frozenset(names - {"age", "trigger", "pain_severity", "radiating_leg_pain"})


@cache
def pipeline():
    """The spaCy pipeline: sentencizer, entity ruler from the lexicon, NegEx."""
    import spacy
    from negspacy.termsets import termset

    _register_negex()
    data = lexicon()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    patterns = []
    for finding, values in data["findings"].items():
        for key, phrases in values.items():
            if key == "negated":
                continue
            for phrase in phrases:
                patterns.append({"label": f"{finding}={key}", "pattern": str(phrase)})
    ruler.add_patterns(patterns)
    terms = termset("en_clinical")
    terms.add_patterns(
        {
            "preceding_negations": data["negation"]["preceding"],
            "following_negations": data["negation"]["following"],
            "termination": data["negation"]["termination"],
        }
    )
    nlp.add_pipe("backclf_negex", config={"neg_termset": terms.get_patterns()})
    return nlp


def _register_negex() -> None:
    """NegEx that ignores negation words inside a matched finding ("can't lean back")."""
    from negspacy.negation import Negex
    from spacy.language import Language

    if "backclf_negex" in Language.factories:
        return

    @Language.factory("backclf_negex", default_config={"neg_termset": None})
    def make(nlp, name, neg_termset):
        return _EntityAwareNegex(nlp, name, neg_termset)

    class _EntityAwareNegex(Negex):
        def process_negations(self, doc):
            preceding, following, terminating = super().process_negations(doc)
            inside = {i for ent in doc.ents for i in range(ent.start, ent.end)}

            def outside(match) -> bool:
                return not any(i in inside for i in range(match[1], match[2]))

            return (
                [m for m in preceding if outside(m)],
                [m for m in following if outside(m)],
                terminating,
            )


CONTEXT_KINDS = ("hypothetical", "historical", "resolved", "uncertain")


@cache
def _context_patterns() -> dict[str, re.Pattern]:
    words = lexicon()["context"]
    return {
        kind: re.compile(
            r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words[kind]) + r")(?![a-z])"
        )
        for kind in CONTEXT_KINDS
    }


def _context(sentence: str) -> set[str]:
    """The ConText modifiers present in a mention's sentence."""
    lowered = sentence.lower()
    return {kind for kind, pattern in _context_patterns().items() if pattern.search(lowered)}


def _entity_mentions(doc) -> list[Mention]:
    data = lexicon()
    past_ok = set(data["context"]["historical_findings"])
    cautious = red_flag_findings()
    sentences = [(sent.start, sent.end, sent.text) for sent in doc.sents]
    starts = [start for start, _, _ in sentences]
    contexts: dict[int, set[str]] = {}
    mentions = []
    for ent in doc.ents:
        index = bisect_right(starts, ent.start) - 1
        if index not in contexts:
            contexts[index] = _context(sentences[index][2])
        kinds = contexts[index]
        finding, key = ent.label_.split("=", 1)
        value = _value(finding, key)
        uncertain = key == "uncertain"
        if ent._.negex:
            uncertain = False
            if FIELDS[finding].kind == "bool" and value is True:
                value = False
            else:
                negated = data["findings"][finding].get("negated")
                if negated is None:
                    continue  # a negated "no"-phrase or enum value: leave it unknown
                value = negated
        elif value is True and "historical" in kinds and finding not in past_ok:
            if "resolved" in kinds:
                value = False
            elif finding in cautious:
                uncertain = True
            else:
                continue
        elif value is True and "hypothetical" in kinds:
            continue
        elif value is True and "uncertain" in kinds:
            if finding not in cautious:
                continue
            uncertain = True
        mentions.append(
            Mention(
                finding=finding,
                value=value,
                span=ent.text,
                start=ent.start_char,
                end=ent.end_char,
                uncertain=uncertain,
            )
        )
    return mentions


def _matched(finding: str, value: Any, match: re.Match) -> Mention:
    return Mention(
        finding=finding, value=value, span=match.group(0), start=match.start(), end=match.end()
    )


def _word_number(text: str) -> float:
    text = text.lower()
    return float(WORD_NUMBERS[text]) if text in WORD_NUMBERS else float(text)


def _pattern_mentions(text: str, doc) -> list[Mention]:
    mentions = []
    for pattern in AGE_PATTERNS:
        for m in pattern.finditer(text):
            age = int(m.group(1))
            if 1 <= age <= 120:
                mentions.append(_matched("age", age, m))
                break
    for m in TEMPERATURE.finditer(text):
        number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        value = float(number)
        if (unit or "").lower() == "f" or value > 50:
            value = round((value - 32) * 5 / 9, 1)
        if 30 <= value <= 45:
            mentions.append(_matched("temperature_c", value, m))
    for m in SEVERITY.finditer(text):
        if 0 <= int(m.group(1)) <= 10:
            mentions.append(_matched("pain_severity", int(m.group(1)), m))
    for pattern, scale in DURATIONS:
        for m in pattern.finditer(text):
            days = _word_number(m.group(1)) * scale
            mentions.append(_matched("days_since_onset", days, m))
    for pattern, days in DAY_WORDS:
        for m in pattern.finditer(text):
            mentions.append(_matched("days_since_onset", float(days), m))
    sex_words = {w: sex for sex, ws in lexicon()["sex"].items() for w in ws}
    for token in doc:
        sex = sex_words.get(token.lower_)
        if sex:
            mentions.append(
                Mention(
                    finding="sex",
                    value=sex,
                    span=token.text,
                    start=token.idx,
                    end=token.idx + len(token),
                )
            )
            break
    return mentions


def _merge(mentions: Iterable[Mention]) -> dict[str, Mention]:
    """One value per finding: a certain positive beats a negation beats a cautious mention."""

    def rank(m: Mention) -> int:
        if m.uncertain:
            return 2
        return 1 if m.value is False else 0

    chosen: dict[str, Mention] = {}
    for m in sorted(mentions, key=lambda m: (rank(m), m.start)):
        chosen.setdefault(m.finding, m)
    return chosen


def _consistent(chosen: dict[str, Mention]) -> None:
    """Numbers win over words: a measured temperature decides fever."""
    temp = chosen.get("temperature_c")
    fever = chosen.get("fever")
    if temp is not None and fever is not None:
        contradicted = fever.value is False and temp.value >= 38
        only_the_word = fever.value is True and fever.span.lower() == "temperature"
        if contradicted or (only_the_word and temp.value < 38):
            del chosen["fever"]
    if (
        "pregnant" in chosen
        and chosen["pregnant"].value
        and chosen.get("sex")
        and chosen["sex"].value == "male"
    ):
        del chosen["sex"]


def extract_findings(text: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """Findings read from ``text``, the evidence for each, and notes for the person."""
    return extract_many([text])[0]


def extract_many(texts: list[str]) -> list[tuple[dict[str, Any], list[dict], list[str]]]:
    """Batch form of :func:`extract_findings` (spaCy's ``pipe``)."""
    out = []
    for text, doc in zip(texts, pipeline().pipe(texts), strict=True):
        chosen = _merge([*_entity_mentions(doc), *_pattern_mentions(text, doc)])
        _consistent(chosen)
        ordered = sorted(chosen.values(), key=lambda m: m.start)
        findings = {m.finding: m.value for m in ordered}
        spans = [
            {
                "finding": m.finding,
                "value": m.value,
                "span": m.span,
                "start": m.start,
                "end": m.end,
                "uncertain": m.uncertain,
            }
            for m in ordered
        ]
        notes = [
            f"'{m.span}' was mentioned without a clear 'no', so {m.finding} counts as "
            "present for the red-flag rules"
            for m in ordered
            if m.uncertain
        ]
        out.append((findings, spans, notes))
    return out
