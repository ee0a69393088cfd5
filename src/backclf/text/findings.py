"""spaCy component ``backclf_findings``: the lexicon matched on lemmas.

Every match becomes a span in ``doc.spans["backclf_findings"]`` labelled
``"<finding>=<value>"``, with its span id saying how it was found: ``phrase`` (a phrase of
the lexicon), ``near`` (a lexicon near-pattern: words close to each other), ``safety_net``
(the red-flag safety net's broad near-patterns). Values are the lexicon's keys: ``true``,
``false``, ``uncertain``, ``ability`` or a value of a list-valued finding.

Spans inside a ``not_findings`` phrase are dropped ("steroid cream" is no steroid use); a
span inside a longer span of the same finding is dropped ("leg pain" inside "no leg pain");
an ``uncertain`` span next to one of the finding's ``elsewhere`` words is dropped ("numbness
in my foot" is not possible saddle numbness). Spans of different findings may overlap.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from backclf.text.lexicon import lexicon
from backclf.text.normalise import phrase_doc
from backclf.text.tokens import Tokens, tokens

SPANS = "backclf_findings"


def source_of(span: Span) -> str:
    """How a finding span was found: ``phrase``, ``near``, ``safety_net`` or ``number``."""
    return span.id_.partition("@")[0] or PHRASE


def hits_of(span: Span) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """The tokens ConText reads a span at: a near-pattern's span runs from one word to the
    other and is read at its concept word (the ``words`` hit) and its other word, written
    in its id as ``near@start:end:start:end``; any other span at its own tokens."""
    _, _, where = span.id_.partition("@")
    if not where:
        return (span.start, span.end), None
    a0, a1, b0, b1 = (int(x) for x in where.split(":"))
    return (a0, a1), (b0, b1)


PHRASE, NEAR, SAFETY_NET, NUMBER = "phrase", "near", "safety_net", "number"
WEAK = "weak"  # a phrase of the lexicon's weak_values
LASTING = "lasting"  # a phrase of the lexicon's lasting
NOT_FINDING = "not_finding"
CLAUSE_MARKS = frozenset({",", ";", ":", "(", ")"})


@dataclass(frozen=True)
class _NearRule:
    label: str  # "<finding>=<value>"
    source: str  # NEAR or SAFETY_NET
    window: int


def gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Tokens between two token ranges (negative when they overlap)."""
    return max(b[0] - a[1], a[0] - b[1])


@Language.factory("backclf_findings")
class FindingMatcher:
    """The lexicon's phrases, near-patterns and safety net, as spans of the doc."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.vocab = nlp.vocab

        def docs(phrases: Iterable[str]) -> list[Doc]:
            return [phrase_doc(nlp, p) for p in phrases]

        lex = lexicon()
        self.phrases = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.words = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.exact = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.rules: list[_NearRule] = []
        self.elsewhere: dict = {}
        self.text_phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        for finding, words in lex.findings.items():
            matcher = self.text_phrases if words.match == "text" else self.phrases
            for value, phrases in words.phrases().items():
                matcher.add(f"{finding}={value}", docs(phrases))
            for value, phrases in words.text_values.items():
                self.text_phrases.add(f"{finding}={value}", docs(phrases))
            for value, phrases in words.weak_values.items():
                self.phrases.add(f"{finding}={value}@weak", docs(phrases))
            if words.lasting:
                self.phrases.add(f"{finding}=true@lasting", docs(words.lasting))
            if words.ability:
                self.phrases.add(f"{finding}=ability", docs(words.ability))
            for rule in words.near:
                self._add_rule(f"{finding}={rule.value}", NEAR, rule, docs)
            if words.elsewhere:
                self.words.add(f"elsewhere:{finding}", docs(words.elsewhere.near))
                self.elsewhere[finding] = words.elsewhere
        for finding, rules in lex.safety_net.items():
            for rule in rules:
                self._add_rule(f"{finding}=true", SAFETY_NET, rule, docs)
        self.phrases.add(NOT_FINDING, docs(lex.not_findings))

    def _add_rule(self, label: str, source: str, rule, docs) -> None:
        number = len(self.rules)
        self.rules.append(_NearRule(label, source, rule.window))
        if rule.words:
            self.words.add(f"near:{number}:a", docs(rule.words))
        if rule.exact:
            self.exact.add(f"near:{number}:a", docs(rule.exact))
        if rule.near:
            self.words.add(f"near:{number}:b", docs(rule.near))
        if rule.near_exact:
            self.exact.add(f"near:{number}:b", docs(rule.near_exact))

    def __call__(self, doc: Doc) -> Doc:
        strings = self.vocab.strings
        spans, blocked = [], []
        for match_id, start, end in [*self.phrases(doc), *self.text_phrases(doc)]:
            label = strings[match_id]
            if label == NOT_FINDING:
                blocked.append((start, end))
            elif "@" in label:  # "@weak", "@lasting"
                label, _, kind = label.partition("@")
                spans.append(Span(doc, start, end, label=label, span_id=kind))
            else:
                spans.append(Span(doc, start, end, label=label, span_id=PHRASE))
        inside = _inside(blocked, len(doc))
        hits: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in [*self.words(doc), *self.exact(doc)]:
            if not inside(start, end):
                hits.setdefault(strings[match_id], []).append((start, end))
        for found in hits.values():
            found.sort()
        tok = tokens(doc)
        spans += self._near_spans(doc, tok, hits)
        spans = [s for s in spans if not inside(s.start, s.end)]
        spans = self._without_elsewhere(tok, spans, hits)
        doc.spans[SPANS] = _outermost(spans)
        return doc

    def _near_spans(self, doc: Doc, tok: Tokens, hits: dict) -> list[Span]:
        sentence = tok.sentence
        spans = []
        for number, rule in enumerate(self.rules):
            first, second = hits.get(f"near:{number}:a"), hits.get(f"near:{number}:b")
            if not first or not second:
                continue
            best: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
            for a in first:
                for b in _within(second, a, rule.window):
                    if sentence[a[0]] != sentence[b[0]] or not 0 <= gap(a, b) <= rule.window:
                        continue
                    between = tok.text[min(a[1], b[1]) : max(a[0], b[0])]
                    if any(t in CLAUSE_MARKS for t in between):
                        continue  # one clause: "it hurt, peeing doesn't hurt" is two
                    span = (min(a[0], b[0]), max(a[1], b[1]))
                    kept = best.get(sentence[a[0]])
                    if kept is None or span[1] - span[0] < kept[0][1] - kept[0][0]:
                        best[sentence[a[0]]] = (span, (a, b))
            for (start, end), (word, other) in best.values():
                source = f"{rule.source}@{word[0]}:{word[1]}:{other[0]}:{other[1]}"
                spans.append(Span(doc, start, end, label=rule.label, span_id=source))
        return spans

    def _without_elsewhere(self, tok: Tokens, spans: list[Span], hits: dict):
        sentence = tok.sentence
        kept = []
        for span in spans:
            finding, _, value = span.label_.partition("=")
            rule = self.elsewhere.get(finding)
            if rule is not None and value in rule.values:
                here = (span.start, span.end)
                if any(
                    sentence[p[0]] == sentence[span.start]
                    and 0 <= gap(here, p) <= rule.window
                    and all(
                        t in rule.between
                        for t in tok.lower[min(here[1], p[1]) : max(here[0], p[0])]
                    )
                    for p in _within(hits.get(f"elsewhere:{finding}", []), here, rule.window)
                ):
                    continue
            kept.append(span)
        return kept


#: The longest phrase hit, in tokens, that :func:`_within` looks back for.
LONGEST_HIT = 12
INFINITY = float("inf")


def _within(hits: list[tuple[int, int]], here: tuple[int, int], window: int):
    """The hits (sorted by start) that may lie within ``window`` tokens of ``here``: a
    look-up by position, so a near-pattern costs the hits near it, not every hit."""
    low = bisect_left(hits, (here[0] - window - LONGEST_HIT,))
    high = bisect_right(hits, (here[1] + window, INFINITY))
    return hits[low:high]


def _inside(ranges: list[tuple[int, int]], size: int):
    """A test of whether tokens ``start`` to ``end`` lie inside one of ``ranges``, in constant
    time: for each token, the furthest end of a range that starts at or before it."""
    if not ranges:
        return lambda start, end: False
    reach = [0] * (size + 1)
    for start, end in ranges:
        reach[start] = max(reach[start], end)
    for i in range(1, size + 1):
        reach[i] = max(reach[i], reach[i - 1])
    return lambda start, end: reach[start] >= end


def _hides(outer: Span, inner: Span) -> bool:
    """Whether a span of one value hides one of another value of the same finding inside it:
    a longer phrase does ("no leg pain" hides "leg pain"); a near-pattern does not ("right
    across both sides" keeps "both sides"), nor do phrases of the same words ("legs hurt" is
    both legs as written and one leg as lemmas: the finding's preference decides)."""
    if source_of(outer) not in (PHRASE, WEAK, LASTING, NUMBER):
        return False
    same_words = (outer.start, outer.end) == (inner.start, inner.end)
    return not (same_words and source_of(inner) in (PHRASE, WEAK, LASTING, NUMBER))


def _outermost(spans: list[Span]) -> list[Span]:
    """Spans in order, without any that lies inside another span of the same finding (the
    safety net never hides a phrase: it is only used where nothing else was found)."""
    rank = {PHRASE: 0, WEAK: 0, LASTING: 0, NUMBER: 0, NEAR: 1, SAFETY_NET: 2}
    ordered = sorted(spans, key=lambda s: (s.start, -(s.end - s.start), rank[source_of(s)]))
    kept: list[Span] = []
    # the kept spans of each finding that still reach the current start (spans come in
    # order of their start, so one that has ended can hold none of the later ones)
    open_spans: dict[str, list[Span]] = {}
    for span in ordered:
        finding = span.label_.partition("=")[0]
        reaching = [k for k in open_spans.get(finding, ()) if k.end > span.start]
        inside = any(
            span.end <= k.end
            and rank[source_of(k)] <= max(rank[source_of(span)], rank[NEAR])
            and (k.label_ == span.label_ or _hides(k, span))
            for k in reaching
        )
        if not inside:
            kept.append(span)
            reaching.append(span)
        open_spans[finding] = reaching
    return kept
