"""spaCy component ``backclf_context``: ConText (Harkema et al. 2009) over the finding spans.

Each finding span gets ``span._.backclf_context``, a :class:`Modifiers`: whether it is
negated, uncertain, historical, hypothetical, resolved, someone else's, or an inability,
and the words that said so. The modifier words and the scope rules are data
(``context.yaml``, on top of negspacy's clinical termset); this module only applies them:

- a modifier reaches from its words to the end of its clause in its direction (forward,
  backward or both), where a clause ends at the sentence's end, a terminating word, or a
  list boundary that no list item follows (see ``context.yaml``);
- "no A and B" reads B as ambiguous (the reader then treats it as uncertain);
- a longer modifier wins over a shorter one it overlaps; a modifier inside a finding's own
  words does not modify that finding;
- a question's negative answer ("Fever? No.") negates the question's findings, or after an
  ability question ("Can you lean back? No.") marks an inability;
- the people the text is not about (lexicon ``people``; "he"/"she" when the writer is the
  person described) are experiencer triggers when they are the subject of their clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from backclf.text.findings import SPANS, hits_of
from backclf.text.lexicon import context_rules, lexicon, modifier_phrases
from backclf.text.normalise import SENTENCE_END, answer_start, phrase_doc
from backclf.text.people import Patient, person_word, person_words
from backclf.text.tokens import Tokens, tokens

FLAGS = ("negated", "uncertain", "historical", "hypothetical", "resolved", "other", "inability")
PERSON = "person"
#: In a text about the writer, "his car crash" is someone else's: a possessive reaches the
#: few words after it.
POSSESSIVES, POSSESSIVE_SCOPE = ("his", "her"), 3
PERSON_PRONOUNS = frozenset({"he", "she", *POSSESSIVES})
#: Words that may stand between a clause's start and its subject ("and my 7 yr old son").
BEFORE_SUBJECT = frozenset(
    {
        "my",
        "our",
        "the",
        "a",
        "an",
        "his",
        "her",
        "their",
        "your",
        "also",
        "little",
        "old",
        "older",
        "younger",
        "eldest",
        "elderly",
        "best",
        "dear",
        "poor",
        "yr",
        "year",
        "years",
        "-",
        "'s",
    }
)
CLAUSE_OPENERS = frozenset(
    {
        "but",
        "because",
        "cos",
        "so",
        "then",
        "when",
        "while",
        "who",
        "which",
        "as",
        "since",
        "that",
        "before",
        "after",
        "until",
        "if",
        "where",
        "whether",
    }
)


@dataclass(frozen=True)
class Modifiers:
    """What ConText found around one finding span, and the words that said it."""

    negated: bool = False
    uncertain: bool = False
    historical: bool = False
    hypothetical: bool = False
    resolved: bool = False
    other: bool = False
    inability: bool = False
    ambiguous: bool = False
    answered: bool = False  # negated by the answer to a question ("Fever? No.")
    listed: bool = False  # negated only as an item of a list ("no fever, drinking is fine")
    cues: tuple[str, ...] = field(default=())


CONTEXTS = "backclf_context"


def context_of(span: Span) -> Modifiers:
    """What ConText found around one finding span (kept in the doc's user data: a span
    extension is rebuilt on every read, a cost the reader pays thousands of times)."""
    found = span.doc.user_data.get(CONTEXTS)
    if found is None:
        return Modifiers()
    return found.get((span.start, span.end, span.label, span.id), Modifiers())


if not Span.has_extension("backclf_context"):
    Span.set_extension("backclf_context", getter=context_of)


@dataclass
class _Trigger:
    category: str
    direction: str
    start: int
    end: int
    scope: tuple[int, int] = (0, 0)
    ambiguous_from: int | None = None
    listed_from: int | None = None  # where the scope went on past a list boundary
    max_scope: int | None = None  # tokens; None: to the end of the clause

    def text(self, doc: Doc) -> str:
        return tokens(doc).written(self.start, self.end)


@cache
def _clause_words() -> frozenset[str]:
    return frozenset(context_rules().lists.clause_words)


@Language.factory("backclf_context")
class ConText:
    """Applies ``context.yaml`` to the finding spans of each doc."""

    def __init__(self, nlp: Language, name: str) -> None:
        rules = context_rules()
        self.matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        by_label: dict[str, list[str]] = {}
        for phrase, category, direction in modifier_phrases():
            by_label.setdefault(f"{category}|{direction}", []).append(phrase)
        for label, phrases in by_label.items():
            self.matcher.add(label, [phrase_doc(nlp, p) for p in phrases])
        self.vocab = nlp.vocab
        self.boundaries = frozenset(rules.lists.boundaries)
        self.always = frozenset(rules.lists.always_continue)
        self.item_max = rules.lists.item_max_tokens

        def words(phrases: list[str]) -> tuple[tuple[str, ...], ...]:
            return tuple(tuple(t.lower_ for t in nlp.make_doc(p)) for p in phrases)

        self.negative = words(rules.answers.negative)
        self.unsure = words(rules.answers.unsure)
        self.ability = words(rules.answers.ability_questions)
        self.query = rules.query_prefix

    # -- finding the triggers ----------------------------------------------------------------

    def _matches(self, doc: Doc, tok: Tokens) -> list[_Trigger]:
        found = []
        for match_id, start, end in self.matcher(doc):
            category, direction = self.vocab.strings[match_id].split("|")
            found.append(_Trigger(category, direction, start, end))
        people = person_words()
        for i, lower in enumerate(tok.lower):  # people, as written ("her" is not "my" here)
            if lower in PERSON_PRONOUNS or lower in people:
                found.append(_Trigger(PERSON, "forward", i, i + 1))
        found.sort(key=lambda t: (-(t.end - t.start), t.start))
        kept: list[_Trigger] = []
        taken: set[int] = set()
        for trigger in found:
            here = range(trigger.start, trigger.end)
            if not taken.intersection(here):
                kept.append(trigger)
                taken.update(here)
        return sorted((t for t in kept if t.category != "pseudo"), key=lambda t: t.start)

    def _is_person_trigger(self, tok: Tokens, trigger: _Trigger, patient: Patient) -> bool:
        lower = tok.lower[trigger.start]
        if lower in POSSESSIVES:  # "his car crash" in a text about the writer
            trigger.max_scope = POSSESSIVE_SCOPE
            return patient.kind == "writer"
        if lower in ("he", "she"):
            if patient.kind != "writer":
                return False
        else:
            word = person_word(lower)
            if patient.kind == "relative" and (word == patient.word or trigger.start == patient.at):
                return False
            if patient.kind != "writer" and word in lexicon().people.patient:
                return False  # "Patient reports ...": the person described
        return self._is_subject(tok, trigger.start)

    def _is_subject(self, tok: Tokens, i: int) -> bool:
        """Whether the word at ``i`` starts its clause (only determiners before it)."""
        j = i
        while not tok.sent_start(j):
            b = j - 1
            if tok.lower[b] in BEFORE_SUBJECT or tok.number[b]:
                j -= 1
                continue
            return tok.punct[b] or tok.lemma[b] in self.boundaries or tok.lower[b] in CLAUSE_OPENERS
        return True

    def _answers(self, doc: Doc, tok: Tokens, triggers: list[_Trigger]) -> list[_Trigger]:
        """Negative answers to questions, as triggers whose scope is the question."""
        out = []
        for i, text in enumerate(tok.text):
            sent_start, sent_end = tok.bounds_of(i)
            if not text.startswith("?") or i + 1 >= sent_end:
                continue
            first = answer_start(tok.lower, i)
            words = tuple(tok.lower[first : first + 3])
            answer = next((a for a in self.negative if words[: len(a)] == a), None)
            unsure = next((a for a in self.unsure if words[: len(a)] == a), None)
            if answer is None and unsure is None:
                continue
            question = [
                w
                for w, a in zip(tok.lower[sent_start:i], tok.alpha[sent_start:i], strict=True)
                if a
            ]
            asks_ability = any(
                tuple(question[k : k + len(q)]) == q
                for q in self.ability
                for k in range(min(3, len(question)))
            )
            end = first + len(answer or unsure)
            triggers[:] = [t for t in triggers if t.end <= first or t.start >= end]
            category = "inability" if asks_ability else "negated"
            if answer is None:
                category = "uncertain"
            out.append(_Trigger(category, "answer", first, end, (sent_start, i + 1)))
        return out

    def _queries(self, tok: Tokens, spans) -> list[_Trigger]:
        """ "?UTI", "?cauda equina": a query mark against a finding's first word."""
        starts = {s.start: s.end for s in spans}
        out = []
        for i in range(len(tok) - 1):
            if tok.text[i] == self.query and not tok.space_after[i] and i + 1 in starts:
                out.append(_Trigger("uncertain", "query", i, i + 1, (i + 1, starts[i + 1])))
        return out

    # -- scopes ------------------------------------------------------------------------------

    def _is_boundary(self, tok: Tokens, i: int) -> bool:
        return tok.lemma[i] in self.boundaries or tok.text[i] in self.boundaries

    def _forward(self, tok: Tokens, trigger: _Trigger, end: int, stops: set[int], starts: set[int]):
        i, listed, ambiguous = trigger.end, False, None
        if trigger.max_scope is not None:
            end = min(end, trigger.end + trigger.max_scope)
        while i < end:
            if i in stops:
                break
            if not self._is_boundary(tok, i):
                i += 1
                continue
            kinds, j = set(), i
            while j < end and self._is_boundary(tok, j):
                kinds.add(tok.lemma[j])
                j += 1
            no_list = trigger.category == "inability" or (
                trigger.direction == "both" and trigger.category != "negated"
            )
            if no_list and not kinds & self.always:  # "2 years ago, on tacrolimus"
                break
            if j >= end or j in stops or not self._item_goes_on(tok, j, end, stops, starts, kinds):
                break
            if "and" in kinds and not listed and not kinds & self.always and "," not in kinds:
                ambiguous = j if ambiguous is None else ambiguous
            listed = listed or "," in kinds
            trigger.listed_from = j if trigger.listed_from is None else trigger.listed_from
            i = j
        trigger.scope, trigger.ambiguous_from = (trigger.end, i), ambiguous

    def _item_goes_on(self, tok: Tokens, j: int, end: int, stops, starts, kinds) -> bool:
        """Whether a list goes on at token ``j`` (after a boundary): after "or", or when the
        next item is short and starts no clause."""
        if kinds & self.always:
            return True
        k = j
        while k < end and k not in stops and not self._is_boundary(tok, k):
            k += 1
        short = k - j <= self.item_max
        if j in starts:  # the item is a finding ("denies fever, night pain")
            return short
        clause = _clause_words()
        return short and not any(w in clause for w in tok.lower[j:k])

    def _backward(
        self, tok: Tokens, trigger: _Trigger, begin: int, stops: set[int], ends: set[int]
    ):
        i = trigger.start - 1
        clause = _clause_words()
        if i >= begin and tok.lower[i] in clause and (i + 1) not in ends:
            trigger.scope = (trigger.start, trigger.start)  # "I wasn't": the clause goes on
            return
        while i >= begin:
            if i in stops:
                break
            if not self._is_boundary(tok, i):
                i -= 1
                continue
            kinds, j = set(), i
            while j >= begin and self._is_boundary(tok, j):
                kinds.add(tok.lemma[j])
                j -= 1
            if j < begin or j in stops or trigger.max_scope == 0:
                break
            k = j
            while k >= begin and k not in stops and not self._is_boundary(tok, k):
                k -= 1
            item_start = k + 1
            short = j + 1 - item_start <= self.item_max or (j + 1) in ends
            said = any(w in clause for w in tok.lower[item_start : j + 1])
            if not kinds & self.always and (said or not short):
                break
            trigger.listed_from = j + 1
            i = j
        trigger.scope = (i + 1, trigger.start)

    # -- the component -----------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans[SPANS]) if SPANS in doc.spans else []
        if not spans:
            return doc
        tok = tokens(doc)
        patient = doc._.backclf_patient or Patient("writer")
        triggers = self._matches(doc, tok)
        triggers = [
            t for t in triggers
            if t.category != PERSON or self._is_person_trigger(tok, t, patient)
        ]  # fmt: skip
        triggers += self._answers(doc, tok, triggers)
        triggers += self._queries(tok, spans)
        stops = {i for t in triggers if t.category == "terminate" for i in range(t.start, t.end)}
        stops |= {i for i, text in enumerate(tok.text) if text in SENTENCE_END or text == ";"}
        starts = {s.start for s in spans}
        ends = {s.end for s in spans}
        same: dict[str, set[int]] = {}
        for t in triggers:
            same.setdefault(t.category, set()).update(range(t.start, t.end))
        active = []
        for trigger in triggers:
            if trigger.category == "terminate":
                continue
            begin, end = tok.bounds_of(trigger.start)
            own = set(range(trigger.start, trigger.end))
            limits = (stops | same.get(trigger.category, set())) - own
            if trigger.direction in ("forward", "both"):
                self._forward(tok, trigger, end, limits, starts)
                active.append(trigger)
            if trigger.direction in ("backward", "both", "after"):
                # only a "no" reaches back over a list ("fever, chills: denied"; "fever last
                # week, gone now"); "numbness, maybe" is about the numbness alone
                reaches = trigger.category in ("negated", "resolved")
                one = 0 if trigger.direction == "after" or not reaches else None
                back = replace(trigger, direction="backward", max_scope=one)
                self._backward(tok, back, begin, limits, ends)
                active.append(back)
            if trigger.direction in ("answer", "query"):
                active.append(trigger)
        doc.user_data[CONTEXTS] = {
            (span.start, span.end, span.label, span.id): _modifiers_of(doc, span, active)
            for span in spans
        }
        doc.spans[SPANS] = spans
        return doc


def _modifiers_of(doc: Doc, span: Span, triggers: list[_Trigger]) -> Modifiers:
    flags: dict[str, bool] = {}
    cues: list[str] = []
    ambiguous = answered = direct = False
    (start, end), other = hits_of(span)

    def covers(t: _Trigger, first: int, last: int) -> bool:
        low, high = t.scope
        if t.direction in ("backward", "answer"):
            return low <= first and last <= high
        return low <= first < high

    for t in triggers:
        # "she fell" in a text about the writer: the pronoun that opens the finding's own
        # words is its subject, so the finding is hers (the trigger was kept only if so)
        subject = t.category == PERSON and t.start == start
        own = (t.start < end and start < t.end) or (
            other and t.start < other[1] and other[0] < t.end
        )
        if own and not subject:
            continue  # the finding's own words
        inside = subject or covers(t, start, end)
        if other and not inside and t.category == "negated":  # "tapping ... doesn't hurt"
            later = max((start, end), other)
            earlier = min((start, end), other)
            inside = earlier[1] <= t.start and t.end <= later[0] and covers(t, *later)
        if not inside:
            continue
        category = "other" if t.category == PERSON else t.category
        if (
            category == "negated"
            and t.ambiguous_from is not None
            and span.start >= t.ambiguous_from
        ):
            ambiguous = True
        else:
            flags[category] = True
        if category == "negated":
            listed = t.listed_from is not None and (
                span.end <= t.listed_from if t.direction == "backward" else start >= t.listed_from
            )
            direct = direct or not listed
        answered = answered or t.direction == "answer"
        cues.append(t.text(doc))
    return Modifiers(
        **{f: flags.get(f, False) for f in FLAGS},
        ambiguous=ambiguous and not flags.get("negated", False),
        answered=answered,
        listed=flags.get("negated", False) and not direct,
        cues=tuple(dict.fromkeys(cues)),
    )
