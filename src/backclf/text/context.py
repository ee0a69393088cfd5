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

from dataclasses import replace

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from backclf.text.corrections import Corrections
from backclf.text.findings import PHRASE, SPANS, source_of
from backclf.text.lexicon import context_rules, lexicon, modifier_phrases
from backclf.text.modifiers import CONTEXTS, PERSON, Reach, Trigger, modifiers_of
from backclf.text.normalise import SENTENCE_END, answer_start, phrase_doc
from backclf.text.people import Patient, person_word, person_words
from backclf.text.scopes import Limits, Scopes
from backclf.text.tokens import Tokens, tokens

#: In a text about the writer, "his car crash" is someone else's: a possessive reaches the
#: few words after it.
POSSESSIVES, POSSESSIVE_SCOPE = ("his", "her"), 3
#: The writer, when the text is about someone else: "I" reaches the few words after it.
WRITER, WRITER_SCOPE = frozenset({"i", "i'm", "im"}), 6
#: "is normal", "does not hurt": said of the few words just before.
AFTER_REACH = 8
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


#: "my disc op in 2015": a year that ended at least 11 months before this code was written
#: (December 2026) is in the past whenever the text is read, so what it dates is history (a
#: later year may be this year: "since my op in 2026" stays current, as a red flag should).
LAST_PAST_YEAR = 2025
YEAR_AFTER = frozenset({"in", "since", "from", "during", "of"})


def _dated(tok: Tokens, found: list[Trigger]) -> list[Trigger]:
    """Historical triggers for "in 2015", "since 2019", "back in 2008" (not where the
    sentence's past is told already: "Previously had a kidney infection in 2019 (hospital,
    fever)" is one scope)."""
    told = {tok.sentence[t.start] for t in found if t.category == "historical"}
    return [
        Trigger("historical", "both", i, i + 2)
        for i in range(len(tok) - 1)
        if tok.lower[i] in YEAR_AFTER
        and len(tok.lower[i + 1]) == 4
        and tok.lower[i + 1].isdigit()
        and 1900 <= int(tok.lower[i + 1]) <= LAST_PAST_YEAR
        and tok.sentence[i] not in told
    ]


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
        self.scopes = Scopes()
        self.reporting = frozenset(rules.reporting_verbs)
        self.corrections = Corrections(rules.corrections)

        def words(phrases: list[str]) -> tuple[tuple[str, ...], ...]:
            return tuple(tuple(t.lower_ for t in nlp.make_doc(p)) for p in phrases)

        self.negative = words(rules.answers.negative)
        self.unsure = words(rules.answers.unsure)
        self.ability = words(rules.answers.ability_questions)
        self.query = rules.query_prefix

    # -- finding the triggers ----------------------------------------------------------------

    def _matches(self, doc: Doc, tok: Tokens) -> list[Trigger]:
        found = []
        for match_id, start, end in self.matcher(doc):
            category, direction = self.vocab.strings[match_id].split("|")
            found.append(Trigger(category, direction, start, end))
        found += _dated(tok, found)
        people = person_words()
        for i, lower in enumerate(tok.lower):  # people, as written ("her" is not "my" here)
            own = lower == "my" and tok.lower[i + 1 : i + 2] == ["own"]  # "my own back"
            if lower in PERSON_PRONOUNS or lower in people or lower in WRITER or own:
                found.append(Trigger(PERSON, "forward", i, i + 1))
        found.sort(key=lambda t: (-(t.end - t.start), t.start))
        kept: list[Trigger] = []
        taken: set[int] = set()
        for trigger in found:
            here = range(trigger.start, trigger.end)
            if not taken.intersection(here):
                kept.append(trigger)
                taken.update(here)
        return sorted((t for t in kept if t.category != "pseudo"), key=lambda t: t.start)

    def _is_person_trigger(self, tok: Tokens, trigger: Trigger, patient: Patient) -> bool:
        lower = tok.lower[trigger.start]
        if self._reports(tok, trigger.end):
            return False  # "Daughter reports new confusion": she tells, the patient has it
        if lower == "my" and tok.lower[trigger.end : trigger.end + 1] == ["own"]:
            trigger.max_scope = WRITER_SCOPE  # "my own back is agony from helping her"
            return patient.kind != "writer"
        if lower in POSSESSIVES:  # "his car crash" in a text about the writer
            trigger.max_scope = POSSESSIVE_SCOPE
            return patient.kind == "writer"
        if lower in WRITER:  # "I'm 34 and pregnant" in a text about the writer's father
            trigger.max_scope = WRITER_SCOPE
            return patient.kind != "writer" and self._is_subject(tok, trigger.start)
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

    def _reports(self, tok: Tokens, i: int) -> bool:
        """Whether a reporting verb ("says", "reports", "thinks") follows token ``i`` (an
        auxiliary or "also" may stand between)."""
        j = i
        while j < len(tok) and tok.lower[j] in ("also", "has", "had", "have", "just", "then"):
            j += 1
        return j < len(tok) and tok.lemma[j] in self.reporting

    def _is_subject(self, tok: Tokens, i: int) -> bool:
        """Whether the word at ``i`` starts its clause (only determiners before it)."""
        j = i
        while not tok.sent_start(j):
            b = j - 1
            if tok.lower[b] in BEFORE_SUBJECT or tok.number[b]:
                j -= 1
                continue
            return tok.punct[b] or self.scopes.is_boundary(tok, b) or tok.lower[b] in CLAUSE_OPENERS
        return True

    def _answers(self, doc: Doc, tok: Tokens, triggers: list[Trigger]) -> list[Trigger]:
        """Negative answers to questions, as triggers whose scope is the question."""
        out = []
        for i, text in enumerate(tok.text):
            if not text.startswith("?"):
                continue
            sent_start, sent_end = tok.bounds_of(i)
            if i + 1 >= sent_end:
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
            category = "inability" if asks_ability else "negated"
            if answer is None:
                category = "uncertain"
            out.append(Trigger(category, "answer", first, end, (sent_start, i + 1)))
        if out:  # the answer's words are the answer, not a modifier of their own
            answered = {i for t in out for i in range(t.start, t.end)}
            triggers[:] = [t for t in triggers if answered.isdisjoint(range(t.start, t.end))]
        return out

    def _queries(self, tok: Tokens, spans) -> list[Trigger]:
        """ "?UTI", "?cauda equina": a query mark against a finding's first word."""
        starts = {s.start: s.end for s in spans}
        out = []
        for i in range(len(tok) - 1):
            if tok.text[i] == self.query and not tok.space_after[i] and i + 1 in starts:
                out.append(Trigger("uncertain", "query", i, i + 1, (i + 1, starts[i + 1])))
        return out

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
        triggers = _without_negations_inside_a_yes(triggers, spans)
        triggers += self._answers(doc, tok, triggers)
        triggers += self._queries(tok, spans)
        stops = {i for t in triggers if t.category == "terminate" for i in range(t.start, t.end)}
        stops |= {i for i, text in enumerate(tok.text) if text in SENTENCE_END or text == ";"}
        starts = {s.start for s in spans}
        ends = {s.end for s in spans}
        same: dict[str, set[int]] = {}
        for t in triggers:
            if t.category == PERSON and tok.lower[t.start] in POSSESSIVES:
                continue  # "my mum lost control of her bladder and ...": still the mum
            same.setdefault(t.category, set()).update(range(t.start, t.end))
        active: list[Trigger] = []
        for trigger in triggers:
            if trigger.category == "terminate":
                continue
            begin, end = tok.bounds_of(trigger.start)
            here = active
            limits = Limits(
                stops, same.get(trigger.category, set()), range(trigger.start, trigger.end)
            )
            if trigger.direction in ("forward", "both"):
                self.scopes.forward(tok, trigger, end, limits, starts)
                here.append(trigger)
            if trigger.direction in ("backward", "both", "after"):
                # only a "no" reaches back over a list ("fever, chills: denied"; "fever last
                # week, gone now"); "numbness, maybe" is about the numbness alone
                reaches = trigger.category in ("negated", "resolved")
                one = 0 if trigger.direction == "after" or not reaches else None
                reach = AFTER_REACH if trigger.direction == "after" else None
                back = replace(trigger, direction="backward", max_scope=one, reach_back=reach)
                self.scopes.backward(tok, back, begin, limits, ends)
                here.append(back)
            if trigger.direction in ("answer", "query"):
                here.append(trigger)
        reach = Reach(active)
        found = {
            (span.start, span.end, span.label, span.id): modifiers_of(doc, span, reach)
            for span in spans
        }
        self.corrections.apply(tok, spans, found)
        doc.user_data[CONTEXTS] = found
        doc.spans[SPANS] = spans
        return doc


def _without_negations_inside_a_yes(triggers: list[Trigger], spans: list) -> list[Trigger]:
    """Without the negations that are a present finding's own words ("not drinking", "no
    bladder control"): the phrase has used the "no", so it does not reach the next item of a
    list ("very drowsy, not drinking, sore over the kidney")."""
    yes = [(s.start, s.end) for s in spans if s.label_.endswith("=true") and source_of(s) == PHRASE]
    if not yes:
        return triggers
    reach: dict[int, int] = {}  # from each token a "yes" holds, the furthest end of one
    for start, end in yes:
        for i in range(start, end):
            reach[i] = max(reach.get(i, 0), end)
    return [
        t for t in triggers
        if t.category != "negated" or reach.get(t.start, -1) < t.end
    ]  # fmt: skip
