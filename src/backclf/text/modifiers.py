"""ConText's answer for one finding span: which modifiers reach it, and the words that said so.

A :class:`Trigger` is a modifier found in the text with its scope (:mod:`.scopes` sets it);
:func:`modifiers_of` reads the triggers whose scope holds a span's words (:class:`Reach`
finds them by position, so a long text costs what its spans cost, not spans times triggers)
and gives the span's :class:`Modifiers`, which :func:`context_of` returns for the reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from backclf.text.findings import hits_of
from backclf.text.tokens import tokens

FLAGS = ("negated", "uncertain", "historical", "hypothetical", "resolved", "other", "inability")
PERSON = "person"
CONTEXTS = "backclf_context"


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
    asserted: bool = False  # said to be present after all ("No numbness. Wait, yes")
    denied: bool = False  # negated by a statement of absence ("no fall"), not "is fine"
    cues: tuple[str, ...] = field(default=())


NOTHING = Modifiers()


def context_of(span: Span) -> Modifiers:
    """What ConText found around one finding span (kept in the doc's user data: a span
    extension is rebuilt on every read, a cost the reader pays thousands of times)."""
    found = span.doc.user_data.get(CONTEXTS)
    if found is None:
        return NOTHING
    return found.get((span.start, span.end, span.label, span.id), NOTHING)


if not Span.has_extension("backclf_context"):
    Span.set_extension("backclf_context", getter=context_of)


@dataclass
class Trigger:
    """A modifier in the text: its category, its direction, its words and its scope."""

    category: str
    direction: str
    start: int
    end: int
    scope: tuple[int, int] = (0, 0)
    ambiguous_from: int | None = None
    listed_from: int | None = None  # where the scope went on past a list boundary
    max_scope: int | None = None  # tokens; None: to the end of the clause
    reach_back: int | None = None  # tokens a backward scope may reach at most

    def text(self, doc: Doc) -> str:
        return tokens(doc).written(self.start, self.end)

    def covers(self, first: int, last: int) -> bool:
        """Whether the scope holds tokens ``first`` to ``last``: all of them for a scope that
        ends at its trigger (backward, an answer), the first one otherwise."""
        low, high = self.scope
        if self.direction in ("backward", "answer"):
            return low <= first and last <= high
        return low <= first < high


def _reaches(t: Trigger, span_words: tuple[int, int], other: tuple[int, int] | None) -> bool:
    """Whether trigger ``t`` modifies a span read at ``span_words`` (and, for a near-pattern,
    at its ``other`` word)."""
    start, end = span_words
    # "she fell" in a text about the writer: the pronoun that opens the finding's own words
    # is its subject, so the finding is hers (the trigger was kept only if so)
    if t.category == PERSON and t.start == start:
        return True
    if other and t.category == "negated":
        later, earlier = max((start, end), other), min((start, end), other)
        if earlier[1] <= t.start < later[0] < t.end:
            return True  # "pee normally and it doesn't hurt": a "no" that opens between them
    own = (t.start < end and start < t.end) or (other and t.start < other[1] and other[0] < t.end)
    if own:
        return False  # the finding's own words
    if t.covers(start, end):
        return True
    if other and t.category == "negated":  # "tapping ... doesn't hurt"
        later = max((start, end), other)
        earlier = min((start, end), other)
        return earlier[1] <= t.start and t.end <= later[0] and t.covers(*later)
    return False


class Reach:
    """The triggers by the tokens their scope holds (and by their first token, for a
    person who is the subject of a finding's own words), in the order they were found."""

    def __init__(self, triggers: list[Trigger]) -> None:
        self.triggers = triggers
        self.at: dict[int, list[int]] = {}
        self.opening: dict[int, list[int]] = {}  # the triggers by their first token
        for n, t in enumerate(triggers):
            self.opening.setdefault(t.start, []).append(n)
            low, high = t.scope
            for i in range(low, high):
                self.at.setdefault(i, []).append(n)
            if t.category == PERSON:
                self.at.setdefault(t.start, []).append(n)

    def near(self, *positions: int) -> list[Trigger]:
        """The triggers whose scope holds any of ``positions``, in order found."""
        found: set[int] = set()
        for p in positions:
            found.update(self.at.get(p, ()))
        return [self.triggers[n] for n in sorted(found)]

    def opening_in(self, start: int, end: int) -> list[int]:
        """The triggers (by number) whose first token lies in ``start`` to ``end``."""
        return [n for i in range(start, end) for n in self.opening.get(i, ())]


def modifiers_of(doc: Doc, span: Span, reach: Reach) -> Modifiers:
    """The modifiers that reach ``span``."""
    flags: dict[str, bool] = {}
    cues: list[str] = []
    ambiguous = answered = direct = denied = False
    words, other = hits_of(span)
    candidates = reach.near(words[0], *(other[:1] if other else ()))
    if other:  # a "no" between a near-pattern's words ("pee normally and it doesn't hurt")
        between = (min(words, other)[1], max(words, other)[0])
        seen = {id(t) for t in candidates}
        candidates += [
            reach.triggers[n]
            for n in reach.opening_in(*between)
            if id(reach.triggers[n]) not in seen
        ]
    for t in candidates:
        if not _reaches(t, words, other):
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
            denied = denied or t.reach_back is None
            listed = t.listed_from is not None and (
                span.end <= t.listed_from
                if t.direction == "backward"
                else words[0] >= t.listed_from
            )
            direct = direct or not listed
        answered = answered or t.direction == "answer"
        cues.append(t.text(doc))
    if not cues:
        return NOTHING
    return Modifiers(
        **{f: flags.get(f, False) for f in FLAGS},
        ambiguous=ambiguous and not flags.get("negated", False),
        answered=answered,
        listed=flags.get("negated", False) and not direct,
        denied=denied and flags.get("negated", False),
        cues=tuple(dict.fromkeys(cues)),
    )
