"""When and why: what an event finding's words say about this episode.

- :func:`describes_pain`: "bending forward is fine", "worse when I bend" describe what makes
  the pain worse, not the event that set it off; :func:`can`: "I can bend" is no event;
- :func:`told_as_habit`: "bent over walls for 25 years" is a posture, not this episode's
  trigger; :func:`explained`: "lost weight on a diet" is not unexplained;
- :func:`onset_order`: whose a duration is ("a lumbar puncture 10 days ago" is the
  puncture's; "Back's been bad for 5 days" the pain's).
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from backclf.text.findings import CLAUSE_MARKS, NEAR, PHRASE, SAFETY_NET, gap, source_of
from backclf.text.lexicon import Habit, lexicon
from backclf.text.modifiers import context_of
from backclf.text.tokens import Tokens, tokens

#: The words that say "no" in a phrase of the lexicon.
NO_WORDS = frozenset({"no", "not", "never", "without", "none", "nothing", "nor", "neither"})

#: Findings whose mention near a duration means the duration is theirs, not the pain's.
EVENT_FINDINGS = frozenset(
    {"recent_spinal_procedure", "unexplained_weight_loss", "history_of_cancer",
     "immunosuppressed", "pregnant", "osteoporosis_or_steroid_use"}
)  # fmt: skip

PRONOUNS = frozenset({"i", "he", "she", "you", "we", "they"})


def explained(tok: Tokens, span: Span, words: list[str]) -> bool:
    """Whether one of ``words`` explains the finding away in its sentence ("on a diet")."""
    start, end = tok.bounds_of(span.start)
    return _asserted_in(" " + " ".join(tok.lower[start:end]) + " ", words)


def _asserted_in(text: str, words: list[str]) -> bool:
    """Whether one of ``words`` stands in ``text`` (spaced lower-case tokens) without a
    negation just before it: "on a diet" explains a weight loss; "not on a diet" does not."""
    for word in words:
        at = text.find(f" {word} ")
        if at >= 0 and not any(f" {no} " in text[max(0, at - 12) : at + 1] for no in NO_WORDS):
            return True
    return False


#: How far "same as ever" may stand from the finding it makes old (tokens, not over a ";").
UNCHANGED_WINDOW = 15


def unchanged(tok: Tokens, span: Span, words: list[str]) -> bool:
    """Whether one of ``words`` says the finding is old and unchanged ("weak since my op,
    same as ever"), near it in its sentence and clause (a note's "; long-standing back
    strain;" is another item)."""
    start, end = tok.bounds_of(span.start)
    low, high = max(start, span.start - UNCHANGED_WINDOW), min(end, span.end + UNCHANGED_WINDOW)
    for i in range(span.start - 1, low - 1, -1):
        if tok.text[i] == ";":
            low = i + 1
            break
    high = next((i for i in range(span.end, high) if tok.text[i] == ";"), high)
    return _asserted_in(" " + " ".join(tok.lower[low:high]) + " ", words)


def told_as_habit(tok: Tokens, span: Span, habit: Habit) -> bool:
    """Whether a habit marker ("for 25 years", "every day", "many hours") stands within the
    habit's window of the span, in its sentence (a number is written ``n`` in a marker)."""
    sent_start, sent_end = tok.bounds_of(span.start)
    low, high = max(sent_start, span.start - habit.window), min(sent_end, span.end + habit.window)
    words = ("n" if tok.number[i] else tok.lower[i] for i in range(low, high))
    near = " " + " ".join(words) + " "
    return any(f" {marker} " in near for marker in habit.markers)


def describes_pain(tok: Tokens, span: Span) -> bool:
    """Whether an event finding's words describe what makes the pain worse ("bending forward
    is fine", "Twisting? Makes it worse", "worse when I bend"), not the event."""
    words = lexicon().aggravation
    i = span.start
    sent_start, sent_end = tok.bounds_of(i)
    first, first_lemma = tok.lower[i], tok.lemma[i]
    before = i - 1 if i > 0 else None
    opens = before is None or i == sent_start or tok.punct[before] or tok.lower[before] == "and"
    present = first == first_lemma and not first.endswith("ed")
    gerund = first.endswith("ing")
    if gerund and before is not None and tok.lemma[before] in words.symptoms:
        return True  # "fine bending forward", "hurts bending"
    if (gerund or present) and opens:
        for j in range(span.end, min(span.end + 8, sent_end)):
            if tok.text[j].startswith("?") or tok.lemma[j] in words.verbs:
                return True
            if tok.punct[j] and tok.text[j] not in (":", "-"):  # "Twisting: hurts"
                break
    if present:  # "worse when I bend", "worse when I lean back or twist"
        lead_start = max(sent_start, i - 6)
        lead = tok.lower[lead_start:i]
        for opener in words.openers:
            o = opener.split()
            for k in range(len(lead) - len(o)):
                if lead[k : k + len(o)] == o and lead[k + len(o)] in PRONOUNS:
                    rest = lead[k + len(o) + 1 :]
                    felt = tok.lemma[max(sent_start, lead_start + k - 4) : i]
                    if any(w in words.symptoms for w in felt) and (
                        not rest or rest[-1] in ("or", "and")
                    ):
                        return True
    return False


MODALS = frozenset({"can", "could", "able"})


def can(tok: Tokens, span: Span) -> bool:
    """ "I can bend and turn fine": what the person can do is no event."""
    i = span.start - 1
    if i >= 0 and tok.lower[i] == "to":
        i -= 1
    return i >= 0 and tok.lower[i] in MODALS


def events_by_sentence(doc: Doc, spans: list[Span]) -> dict[int, list[Span]]:
    """The spans of event findings (a procedure, a pregnancy...) said to have happened, by
    sentence."""
    tok = tokens(doc)
    events: dict[int, list[Span]] = {}
    for s in spans:
        if (
            s.label_.partition("=")[0] in EVENT_FINDINGS
            and source_of(s) in (PHRASE, NEAR, SAFETY_NET)
            and not context_of(s).negated
        ):
            events.setdefault(tok.sentence[s.start], []).append(s)
    return events


BACK_OWNERS = frozenset({"my", "the", "lower", "low"})


def the_back(tok: Tokens, i: int, sent_start: int) -> bool:
    """Whether token ``i`` names the back itself ("Back's been bad", "my lower back"), not a
    direction ("lean back")."""
    if tok.lemma[i] not in lexicon().back_words:
        return False
    return i == sent_start or tok.lower[i - 1] in BACK_OWNERS


def onset_order(doc: Doc, span: Span, events: dict[int, list[Span]]) -> int | None:
    """How surely a duration is the pain's own (the distance in tokens to the nearest word of
    pain; lower is surer), or ``None`` when it belongs to another event nearer to it ("a
    lumbar puncture 10 days ago")."""
    tok = tokens(doc)
    sent_start, sent_end = tok.bounds_of(span.start)
    start, end = span.start, span.end  # its clause: between commas, semicolons, stops
    while start > sent_start and tok.text[start - 1] not in CLAUSE_MARKS:
        start -= 1
    while end < sent_end and tok.text[end] not in CLAUSE_MARKS:
        end += 1
    pain_words = set(lexicon().pain_words) - {"go"}
    events = [s for s in events.get(tok.sentence[span.start], ()) if start <= s.start < end]
    inside = {i for e in events for i in range(e.start, e.end)}  # "an injection in my back"
    pain = [
        i
        for i in range(start, end)
        if i not in inside and (tok.lemma[i] in pain_words or the_back(tok, i, sent_start))
    ]
    here = (span.start, span.end)
    nearest_pain = min((abs(i - span.start) for i in pain), default=None)
    nearest_event = min((max(0, gap(here, (e.start, e.end))) for e in events), default=None)
    if nearest_event is not None and (nearest_pain is None or nearest_event < nearest_pain):
        return None
    return nearest_pain if nearest_pain is not None else 100
