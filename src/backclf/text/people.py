"""spaCy component ``backclf_patient``: whose back is this text about?

People write about themselves ("my back went"), about someone else ("my husband bent down
and his back went into spasm"), or as a clinician ("41F c/o LBP"). The answer decides whose
findings count (ConText's experiencer): in a text about the writer, a relative's cancer is
not the writer's; in a text about a husband, "he" and "his" are the person described and
"my neighbour" is someone else. It also gives the person's sex when a relative is described
("my husband", or "my partner ... he").

The owner of the first back pain is the person described: the possessive before the back
word ("my", "his", "her", "X's"), else the sentence's first person word ("I", "he", "my
son"), else the text's first person word; a text without any is a clinician's note about a
third person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from spacy.language import Language
from spacy.tokens import Doc

from backclf.text.findings import NUMBER, SPANS, source_of
from backclf.text.lexicon import context_rules, lexicon
from backclf.text.tokens import Tokens, tokens


@dataclass(frozen=True)
class Patient:
    """The person a text describes: the ``writer``, a ``relative`` (``word`` as written,
    at token ``at``), or a ``third_person`` (a clinician's note)."""

    kind: Literal["writer", "relative", "third_person"]
    word: str | None = None
    at: int | None = None
    sex: str | None = None
    sex_at: int | None = None  # the token that gave the sex


if not Doc.has_extension("backclf_patient"):
    Doc.set_extension("backclf_patient", default=None)


@cache
def people_sex() -> dict[str, str | None]:
    people = lexicon().people
    sexes: dict[str, str | None] = {w: None for w in [*people.any, *people.patient]}
    sexes.update({w: "female" for w in people.female})
    sexes.update({w: "male" for w in people.male})
    return sexes


@cache
def pronoun_sex() -> dict[str, str]:
    pronouns = lexicon().pronouns
    return {**{w: "female" for w in pronouns.female}, **{w: "male" for w in pronouns.male}}


@cache
def person_words() -> frozenset[str]:
    """Every way a people word is written (lower case, with plurals and respellings)."""
    respell = lexicon().normalise.respell
    words = set(people_sex()) | {w + "s" for w in people_sex()}
    words |= {k for k, v in respell.items() if v in people_sex()}
    return frozenset(words)


def person_word(lower: str) -> str | None:
    """The people word a token is ("mum", "husband"), respelt like the lexicon ("mom" ->
    "mum")."""
    word = lexicon().normalise.respell.get(lower, lower)
    if word in people_sex():
        return word
    singular = word[:-1] if word.endswith("s") else None
    return singular if singular in people_sex() else None


def _relative_before(tok: Tokens, end: int, sex: str | None) -> tuple[str, int] | None:
    """The nearest "my <person>" before token ``end`` (of a matching sex, if given)."""
    for i in range(end - 1, -1, -1):
        word = person_word(tok.lower[i])
        if not word or (sex is not None and people_sex()[word] not in (None, sex)):
            continue
        start = tok.sent_start(i)
        named = tok.title(i) and not start  # "Dad", "Mum" as names
        if named or start or any(w in ("my", "our") for w in tok.lower[max(0, i - 4) : i]):
            return word, i
    return None


def _relative(tok: Tokens, word: str, at: int) -> Patient:
    sex, sex_at = people_sex()[word], at
    if sex is None:
        pronoun = next((i for i in range(at, len(tok)) if tok.lower[i] in pronoun_sex()), None)
        if pronoun is None:
            sex, sex_at = None, None
        else:
            sex, sex_at = pronoun_sex()[tok.lower[pronoun]], pronoun
    return Patient("relative", word, at, sex, sex_at)


#: Words that may stand between "my" and a person ("my little girl", "my 15-year-old son").
DESCRIBING = frozenset({
    "-", "year", "years", "yr", "yrs", "old", "little", "big", "eldest", "oldest", "youngest",
    "younger", "older", "elderly", "teenage", "baby", "new", "dear", "poor", "best", "step",
    "grown", "grown-up", "adult", "late", "own", "two", "3", "partner's", "wee", "yo", "y", "/",
    "o", "y/o", "y.o.", "y.o", "year-old", "yr-old", "yo."})  # fmt: skip
#: "my 15yo daughter": an age and "yo" written as one word.
AGE_WORD = re.compile(r"\d{1,3}(?:yo|y/o|yrs?|yr|-year-old|-yr-old)")
#: The words that end "my 14-year-old", "my 9 yr old", "my 15yo": a child, named by age.
AGED = frozenset({"old", "yo", "o", "y/o", "y.o.", "y.o", "year-old", "yr-old", "yo."})

#: Words that may stand between an owner and the back ("my lower back", "his bad back").
BACK_ADJECTIVES = frozenset({"lower", "low", "upper", "bad", "sore", "poor", "whole", "own"} | {
    "left", "right"})  # fmt: skip


def _owner_of(tok: Tokens, back: int, sent_start: int) -> Patient | None:
    """The possessive before a back word: "my back", "his back", "my partner's back"."""
    first = set(lexicon().pronouns.first_person)
    i = back - 1
    while i > sent_start and tok.lower[i] in BACK_ADJECTIVES:
        i -= 1
    if i < sent_start:
        return None
    lower = tok.lower[i]
    if lower in first:
        return Patient("writer")
    if lower in ("his", "her"):
        sex = pronoun_sex()[lower]
        found = _relative_before(tok, i, sex)
        if found:
            return _relative(tok, *found)
        return Patient("third_person", sex=sex, sex_at=i)
    if lower == "'s" and i > 0 and person_word(tok.lower[i - 1]):
        return _relative(tok, person_word(tok.lower[i - 1]), i - 1)
    return None


def _subject_of(tok: Tokens, start: int, end: int) -> Patient | None:
    """The first person word of a stretch: "I" (the writer), "he"/"she", "my son"."""
    first = set(lexicon().pronouns.first_person)
    for i in range(start, end):
        lower = tok.lower[i]
        named = person_word(lower) if i == start else None
        if (
            named
            and (people_sex()[named] or named in NAMED_ANY)
            and tok.title(i)
            and not _reports(tok, i + 1)
        ):
            return _relative(tok, named, i)  # "Mum is drowsy", "Dad has been off fluids"
        if lower in ("he", "she"):
            found = _relative_before(tok, i, pronoun_sex()[lower])
            if found:
                return _relative(tok, *found)
            return Patient("third_person", sex=pronoun_sex()[lower], sex_at=i)
        if lower in ("my", "our"):
            j = i + 1  # "my son", "my little girl", "my 15-year-old daughter"
            while j < end and (
                tok.lower[j] in DESCRIBING or tok.number[j] or AGE_WORD.fullmatch(tok.lower[j])
            ):
                j += 1
            word = person_word(tok.lower[j]) if j < end else None
            if word:
                return _relative(tok, word, j)
            skipped = tok.lower[i + 1 : j]
            if skipped and (AGED.intersection(skipped) or AGE_WORD.fullmatch(skipped[-1])):
                # "my 14-year-old has hurt his back": a child named by age alone
                return _relative(tok, "child", j - 1)
            if lower == "my":
                return Patient("writer")
        elif lower in first and lower not in OBJECT_FORMS:
            return Patient("writer")
    return None


def _reports(tok: Tokens, i: int) -> bool:
    """Whether a reporting verb follows at token ``i`` ("Daughter reports new confusion": she
    tells, she is not the one described)."""
    while i < len(tok) and tok.lower[i] in ("also", "has", "had", "have", "just", "then"):
        i += 1
    return i < len(tok) and tok.lemma[i] in context_rules().reporting_verbs


#: People who may open a sentence by name without "my" ("Partner has been off fluids").
NAMED_ANY = frozenset({"partner", "child", "kid"})

#: "seen by me", "drove me in": the writer is there, but not as the one it is about.
OBJECT_FORMS = frozenset({"me", "myself", "mine"})


def _first_finding_subject(doc: Doc, tok: Tokens) -> Patient | None:
    """The subject of the first sentence that says a finding in words ("My husband drove me
    in. I have a fever": the fever is the writer's, not the husband's)."""
    said = {tok.sentence[s.start] for s in doc.spans.get(SPANS, ()) if source_of(s) != NUMBER}
    for number in sorted(said):
        start, end = tok.bounds[number]
        subject = _subject_of(tok, start, end)
        if subject:
            return subject
    return None


#: Where a clause starts: "Our toddler (2) has a cold; my husband has back pain", "I'm 45
#: and writing about my partner who has back pain".
CLAUSE_STARTS = frozenset({";", "and", "but", "while", "whilst", "whereas"})


def _clause_subject(tok: Tokens, start: int, end: int, back_words: set[str]) -> Patient | None:
    """The first person word of the clause with the sentence's first back word, before it
    (else of the sentence): "my dad has back pain, and the doctor said she" is the dad's."""
    back = next(
        i for i in range(start, end) if tok.lemma[i] in back_words or tok.lower[i] in back_words
    )
    clause = next(
        (i + 1 for i in range(back - 1, start, -1) if tok.lower[i] in CLAUSE_STARTS), start
    )
    return (clause > start and _subject_of(tok, clause, back)) or _subject_of(tok, start, end)


def find_patient(doc: Doc) -> Patient:
    """Whose back the text is about (see the module's docstring)."""
    tok = tokens(doc)
    back_words, pain_words = set(lexicon().back_words), set(lexicon().pain_words)
    for start, end in tok.bounds:
        lemmas = set(tok.lemma[start:end])
        if not lemmas & pain_words:
            continue
        for i in range(start, end):
            if tok.lemma[i] in back_words or tok.lower[i] in back_words:
                owner = _owner_of(tok, i, start)
                if owner:
                    return owner
        if lemmas & back_words:
            subject = _clause_subject(tok, start, end, back_words)
            if subject:
                return subject
    return (
        _first_finding_subject(doc, tok) or _subject_of(tok, 0, len(tok)) or Patient("third_person")
    )


@Language.component("backclf_patient")
def patient_component(doc: Doc) -> Doc:
    doc._.backclf_patient = find_patient(doc)
    return doc
