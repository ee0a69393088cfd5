"""From a read doc to findings: each finding span with its ConText modifiers becomes a
mention (or nothing), then one value per finding, the notes, and the red-flag screens the
text did not address.

The rules, in order, for one span:
- a hypothetical mention, or someone else's, is no finding (a span that opens with the word
  naming the person described is theirs: "I'm writing about my husband who is 60");
- a mention in the past is no finding unless the finding is about the past (``time:
  history`` in the lexicon: "history of lymphoma, in remission" is a cancer history);
- a resolved current finding is absent ("fever last week, gone now");
- a negation flips a yes/no finding, gives a list-valued finding its ``negated`` value, and
  drops a number;
- an uncertain mention, an ambiguous negation ("no fever and numbness"), a hint phrase, a
  "no" taken back ("No numbness. Wait, actually yes") and a safety-net hit are never "no": a
  red flag counts as present, with a note; anything else stays unknown (an ambiguous "no"
  leaves a phrase that states the normal as it is: "no fever and my pee is normal");
- an inability the finding does not count is none ("it hurts to lift my foot" is pain, not
  weakness: the lexicon's ``ability_not_after``);
- what a person can do ("I can bend") and what makes the pain worse are no events
  (:mod:`.events`).
Then per finding: a trigger ruled out gives "none" only when more than one kind is ruled out
("didn't lift or bend anything"); of two triggers in one sentence, the one after a contrast
("lifted a box last week but this came from nowhere") is this episode's; a certain value
beats a negation beats a cautious mention; among certain values of a list-valued finding the
lexicon's ``prefer`` order decides; the highest temperature and pain score count (a stated
number before a word: "severe, 6/10" is 6), and the pain's own start for the days since
onset. Numbers win over words (a measured 38.5 C is a fever whatever the words said).
Spans and offsets are the writer's own (:mod:`.prepare`).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, NamedTuple

from spacy.tokens import Doc, Span

from backclf.contract.fields import FEVER_THRESHOLD_C, FIELDS
from backclf.text.events import (
    NO_WORDS,
    can,
    describes_pain,
    events_by_sentence,
    explained,
    onset_order,
    told_as_habit,
    unchanged,
)
from backclf.text.findings import (
    LASTING,
    NEAR,
    NUMBER,
    PHRASE,
    SAFETY_NET,
    SPANS,
    WEAK,
    source_of,
)
from backclf.text.lexicon import lexicon, red_flag_findings
from backclf.text.modifiers import context_of
from backclf.text.people import Patient
from backclf.text.prepare import Prepared
from backclf.text.tokens import Tokens, tokens

TEMPERATURE_WORDS = frozenset({"temperature", "temp", "t"})


@dataclass(frozen=True)
class Mention:
    """One reading of one finding: its value and the words behind it."""

    finding: str
    value: Any
    span: str
    start: int
    end: int
    uncertain: bool = False
    via: str = PHRASE
    cue: str | None = None
    order: int = 0  # a tie-break among several mentions (lower first)
    weak: bool = False  # from the lexicon's weak_values: any other value wins
    ruled_out: str | None = None  # the event value a denial ruled out ("didn't lift")

    def record(self) -> dict[str, Any]:
        return {
            "finding": self.finding,
            "value": self.value,
            "span": self.span,
            "start": self.start,
            "end": self.end,
            "uncertain": self.uncertain,
            "cue": self.cue,
            "via": self.via,
        }


@cache
def _red_flags() -> frozenset[str]:
    return frozenset(red_flag_findings())


def says_no(tok: Tokens, span: Span) -> bool:
    """Whether a "false" phrase carries its own negation ("no night pain": another "no" over it
    is the same "no"), as opposed to stating the normal ("keeps water down": "can't keep
    water down" is unable)."""
    return any(w in NO_WORDS for w in tok.lemma[span.start : span.end])


def _value(finding: str, key: str) -> Any:
    spec = FIELDS[finding]
    if spec.kind == "bool":
        return key != "false"
    if spec.kind == "int":
        return int(float(key))
    if spec.kind == "float":
        return float(key)
    return key


def _negated(tok: Tokens, span: Span, key: str, value: Any, uncertain: bool, context):
    """(value, uncertain, ruled-out trigger) of a negated mention, or ``None`` when a
    negation leaves the finding unknown. A "false" phrase that states the normal flips under
    its own negation ("can't keep water down") or a "no" answer, not as an item of someone's
    list of noes, and never when it says "no" itself ("no night pain")."""
    finding = span.label_.partition("=")[0]
    rules, kind = lexicon().rules_for(finding), FIELDS[finding].kind
    keeps = key == "false" and (says_no(tok, span) or context.listed) and not context.answered
    if keeps:
        return value, uncertain, None
    if kind == "bool":
        return (False, False, None) if key == "uncertain" else (not value, uncertain, None)
    if kind == "enum" and rules.negated is not None and context.denied:
        return rules.negated, uncertain, value if rules.event else None  # "didn't lift"
    return None


def _opens_with_the_patient(doc: Doc, span: Span) -> bool:
    """Whether a span opens with the word that names the person described ("husband who is
    60" in "I'm writing about my husband who is 60"): the writer's "I" before it is no
    experiencer of it."""
    patient = doc._.backclf_patient
    return patient is not None and patient.kind == "relative" and patient.at == span.start


def _only_pain_stops_it(context, rules) -> bool:
    """Whether every cue of an inability is one the finding does not count ("hurts to")."""
    excluded = {cue.lower() for cue in rules.ability_not_after}
    cues = [" ".join(cue.lower().split()) for cue in context.cues]
    return bool(cues) and all(cue in excluded for cue in cues)


# Long on purpose: see the first comment inside (the rules in their order, in one pass).
def mention_of(doc: Doc, span: Span) -> Mention | None:
    """The mention one finding span makes, or ``None`` (see the module's docstring)."""
    # The rules in the order the module's docstring gives them: one pass, no helper hides
    # which comes first.
    finding, _, key = span.label_.partition("=")
    context = context_of(span)
    tok = tokens(doc)
    rules = lexicon().rules_for(finding)
    spec = FIELDS[finding]
    via = source_of(span)
    weak, lasting = via == WEAK, via == LASTING
    via = PHRASE if weak or lasting else via
    if context.hypothetical or (context.other and not _opens_with_the_patient(doc, span)):
        return None
    if context.historical and rules.time == "current" and via != NUMBER and not lasting:
        if not (context.negated or context.resolved) or spec.kind != "bool" or key == "false":
            return None  # "numbness last year": says nothing about now
        return Mention(
            finding,
            False,
            span.text,
            span.start_char,
            span.end_char,
            via=via,
            cue=", ".join(context.cues) or None,
        )  # "fever last year, none now"
    if rules.event and via != NUMBER and (describes_pain(tok, span) or can(tok, span)):
        return None
    # "can't lean back and turning is sore": an inability is the finding for a movement finding
    ability = key == "ability" or (bool(rules.ability) and context.inability and key == "true")
    if ability and not context.inability:
        return None  # "I can turn" or "I didn't twist" says nothing
    if ability and rules.ability_not_after and _only_pain_stops_it(context, rules):
        return None  # "it hurts to lift my foot": pain, not weakness
    value = True if ability else _value(finding, key)
    uncertain = key == "uncertain" or via == SAFETY_NET
    ruled_out = None
    negated = (context.negated or context.inability) and not ability and via != NUMBER
    if via == SAFETY_NET and (negated or context.resolved):
        return None
    if context.resolved and value is True and rules.time == "current":
        value, uncertain = False, False
    if negated:
        negation = _negated(tok, span, key, value, uncertain, context)
        if negation is None:
            return None
        value, uncertain, ruled_out = negation
    if context.asserted:  # "No numbness. Wait, actually yes": said after all, with a note
        value = key != "false" if spec.kind == "bool" else value
        uncertain = True
    # "no fever and my pee is normal": a "no" that may reach a phrase stating the normal
    # leaves it saying the normal (only a finding's own words are made doubtful by it)
    ambiguous = context.ambiguous and key != "false"
    if (context.uncertain or ambiguous) and via != NUMBER:
        uncertain = True
    if rules.habit and key in rules.habit.of and told_as_habit(tok, span, rules.habit):
        value = rules.habit.value
    if rules.explained_by and value is True and explained(tok, span, rules.explained_by):
        value, uncertain = False, False
    if rules.unchanged_by and value is True and unchanged(tok, span, rules.unchanged_by):
        return None  # "weak since my op, same as ever": says nothing about a new finding
    if uncertain:
        if finding not in _red_flags():
            return None
        value = True
    cue = ", ".join(context.cues) or None
    start, end = tok.chars(span.start, span.end)
    return Mention(
        finding,
        value,
        tok.source[start:end],
        start,
        end,
        uncertain,
        via,
        cue,
        weak=weak,
        ruled_out=ruled_out,
    )


def _ruled_out_only_once(mentions: list[Mention]) -> list[Mention]:
    """A denial says nothing set the pain off only when it rules out more than one kind of
    trigger ("didn't lift or bend anything", "nothing lifted, bent or fallen"); "I haven't
    had any big fall" alone is about a fall, not about every cause."""
    kinds = {m.ruled_out for m in mentions if m.ruled_out is not None}
    if len(kinds) >= 2:
        return mentions
    return [m for m in mentions if m.ruled_out is None]


#: "I lifted a box last week but this came from nowhere": a contrast corrects what went before.
CONTRASTS = frozenset({"but", "however", "though", "although", "yet", "whereas"})


def _corrected_by_contrast(mentions: list[Mention], tok: Tokens) -> list[Mention]:
    """Without the event mentions that a later one of another value, after a contrast in the
    same sentence, corrects: the later one is this episode's."""
    events = [m for m in mentions if lexicon().rules_for(m.finding).event]
    if len(events) < 2:
        return mentions
    at = {id(m): bisect_right(tok.idx, m.start) - 1 for m in events}
    dropped = set()
    for a in events:
        for b in events:
            i, j = at[id(a)], at[id(b)]
            if a.finding != b.finding or a.value == b.value or not i < j:
                continue
            if tok.sentence[i] == tok.sentence[j] and CONTRASTS.intersection(tok.lower[i:j]):
                dropped.add(id(a))
    return [m for m in mentions if id(m) not in dropped]


def _rank(m: Mention) -> tuple:
    certainty = 2 if m.uncertain else 1 if m.value is False else 0
    rules = lexicon().rules_for(m.finding)
    prefer = rules.prefer.index(m.value) if m.value in rules.prefer else len(rules.prefer)
    if m.finding in ("temperature_c", "pain_severity"):  # a stated number beats words
        return (certainty, m.via != NUMBER, -m.value, m.start)
    return (certainty, m.weak, prefer, m.order, m.start)


def merge(mentions: list[Mention]) -> dict[str, Mention]:
    """One mention per finding (see the module's docstring)."""
    chosen: dict[str, Mention] = {}
    for m in sorted(mentions, key=_rank):
        chosen.setdefault(m.finding, m)
    return chosen


def _consistent(chosen: dict[str, Mention], patient: Patient, doc: Doc) -> None:
    """Numbers win over words; implied findings; the person's sex from how they are named."""
    temp, fever = chosen.get("temperature_c"), chosen.get("fever")
    measured_fever = temp is not None and temp.value >= FEVER_THRESHOLD_C
    if measured_fever and (fever is None or fever.value is not True):
        chosen["fever"] = Mention("fever", True, temp.span, temp.start, temp.end, via=NUMBER)
    both = chosen.get("bilateral_leg_weakness")
    one = chosen.get("leg_weakness")
    if both is not None and both.value is True and (one is None or one.value is not True):
        chosen["leg_weakness"] = Mention(
            "leg_weakness", True, both.span, both.start, both.end, both.uncertain, both.via
        )
    trauma, trigger = chosen.get("major_trauma"), chosen.get("trigger")
    if trauma and trauma.value is True and trigger and trigger.value == "minor_fall_or_bump":
        del chosen["trigger"]  # a fall from a roof is no minor fall
    pregnant, sex = chosen.get("pregnant"), chosen.get("sex")
    certainly_pregnant = pregnant is not None and pregnant.value is True and not pregnant.uncertain
    said_not = pregnant is not None and pregnant.value is False and not _asked(pregnant, doc)
    if (certainly_pregnant and (sex is None or sex.value == "male")) or (said_not and sex is None):
        chosen["sex"] = Mention("sex", "female", pregnant.span, pregnant.start, pregnant.end)
    if "sex" not in chosen and patient.sex and patient.sex_at is not None:
        token = doc[patient.sex_at]
        chosen["sex"] = Mention("sex", patient.sex, token.text, token.idx, token.idx + len(token))


def _asked(m: Mention, doc: Doc) -> bool:
    """Whether a mention is a form's question ("Pregnant? No." may be a man's answer)."""
    tok = tokens(doc)
    i = bisect_right(tok.idx, m.end - 1)
    return i < len(tok) and tok.text[i].startswith("?")


def _note(m: Mention) -> str:
    words = FIELDS[m.finding].label
    if m.via == SAFETY_NET:
        return (
            f"the words '{m.span}' may mean {words}, so it counts as present for the "
            "red-flag rules; say if that is wrong"
        )
    return (
        f"'{m.span}' was mentioned without a clear 'no', so {m.finding} counts as present "
        "for the red-flag rules"
    )


class Reading(NamedTuple):
    """What a text said: findings, the words behind each, notes for the person, and the
    red-flag screens it did not address (an app can ask about those)."""

    findings: dict[str, Any]
    extracted: list[dict[str, Any]]
    notes: list[str]
    not_mentioned: list[str]


def _only_the_temperature_word(m: Mention) -> bool:
    """ "temperature 36.9": the word names the measurement; the number decides fever."""
    return m.finding == "fever" and m.value is True and m.span.lower() in TEMPERATURE_WORDS


def _as_written(m: Mention, prepared: Prepared) -> Mention:
    """A mention with the writer's own words and offsets (the reader read the prepared
    text: one form of every character, lower case)."""
    start, end = prepared.original_span(m.start, m.end)
    return replace(m, span=prepared.original[start:end], start=start, end=end)


def _in_text_order(m: Mention) -> tuple[int, str]:
    return m.start, m.finding


def read_doc(doc: Doc) -> Reading:
    """The reading of one processed doc."""
    spans = list(doc.spans[SPANS]) if SPANS in doc.spans else []
    patient = doc._.backclf_patient or Patient("writer")
    mentions = []
    events = None
    for span in spans:
        m = mention_of(doc, span)
        if m is None:
            continue
        if m.finding == "days_since_onset":
            events = events_by_sentence(doc, spans) if events is None else events
            order = onset_order(doc, span, events)
            if order is None:
                continue
            m = Mention(**{**m.__dict__, "order": order})
        mentions.append(m)
    net = {m.finding for m in mentions if m.via != SAFETY_NET}
    mentions = [m for m in mentions if m.via != SAFETY_NET or m.finding not in net]
    mentions = _corrected_by_contrast(_ruled_out_only_once(mentions), tokens(doc))
    if any(m.finding == "temperature_c" for m in mentions):  # the number decides fever
        mentions = [m for m in mentions if not _only_the_temperature_word(m)]
    chosen = merge(mentions)
    _consistent(chosen, patient, doc)
    prepared = tokens(doc).prepared
    ordered = sorted((_as_written(m, prepared) for m in chosen.values()), key=_in_text_order)
    findings = {m.finding: m.value for m in ordered}
    notes = [_note(m) for m in ordered if m.uncertain]
    not_mentioned = [f for f in red_flag_findings() if f not in findings]
    return Reading(findings, [m.record() for m in ordered], notes, not_mentioned)


__all__ = ["NEAR", "Mention", "Reading", "merge", "read_doc"]
