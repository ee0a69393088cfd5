"""The tokenizer and two spaCy components that prepare a text for matching.

- :class:`PreparingTokenizer`: spaCy's tokenizer over the prepared text
  (:mod:`backclf.text.prepare`: one form for every keyboard, lower case), keeping the map
  back to the original in the doc;
- ``backclf_sentences``: sentence boundaries at ``.``, ``!``, ``?`` and line breaks, except
  that a question and its short answer stay one sentence ("Fever? No."), so the answer can
  reach the question's findings.
- ``backclf_normalise``: each token's lemma, the attribute every phrase is matched on: the
  token lower-cased, respelt by ``lexicon.yaml`` (British/American spelling, texting and
  clinical shorthand), then lemmatised with spaCy's English lookup table from
  ``spacy-lookups-data`` ("peeing" -> "pee"); an unknown word one typing slip away from a
  red-flag word is read as that word ("numbess" -> "numbness", via rapidfuzz).
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

import numpy
import orjson
from spacy.attrs import (
    IDX,
    IS_ALPHA,
    IS_PUNCT,
    LEMMA,
    LIKE_NUM,
    LOWER,
    NORM,
    ORTH,
    SENT_START,
    SPACY,
)
from spacy.language import Language
from spacy.tokens import Doc

from backclf.text.lexicon import context_rules, lexicon, modifier_phrases
from backclf.text.prepare import prepare
from backclf.text.tokens import KEY as TOKENS
from backclf.text.tokens import PREPARED, Tokens, prepared_of


class PreparingTokenizer:
    """spaCy's tokenizer over the prepared text; the doc keeps the map back to the original
    (``doc.user_data[PREPARED]``). Everything else is the wrapped tokenizer's."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        prepared = prepare(text)
        doc = self.tokenizer(prepared.text)
        doc.user_data[PREPARED] = prepared
        return doc

    def __getattr__(self, name: str):
        return getattr(self.tokenizer, name)


SENTENCE_END = {".", "!", "?", "...", "…", "!!", "??", "?!", "!?"}
QUESTION_WORDS = {
    "is", "are", "do", "does", "did", "should", "can", "could", "what", "why", "how", "will",
    "would", "when", "where", "who", "was", "anyone", "any",
}  # fmt: skip
#: Contractions whose spaCy norm is the word ("n't" -> "not", "ca" of "can't" -> "can").
CONTRACTIONS = {"n't", "nt", "ca", "wo", "'m", "'re", "'ve", "'ll", "'d", "ve", "sha"}


@cache
def _answer_markers() -> tuple[tuple[str, ...], ...]:
    """Markers a form puts before an answer, as token sequences ("A:" -> ("a", ":"))."""
    return tuple(tuple(m.replace(":", " :").split()) for m in context_rules().answers.markers)


def answer_start(lower: list[str], i: int) -> int:
    """The first token of the answer after the question mark at ``i`` (markers skipped);
    ``lower`` is the doc's tokens in lower case."""
    j = i + 1
    moved = True
    while moved:
        moved = False
        for marker in _answer_markers():
            if tuple(lower[j : j + len(marker)]) == marker:
                j, moved = j + len(marker), True
    return j


def _answer_follows(text: list[str], lower: list[str], i: int) -> bool:
    """Whether the tokens after the question mark at ``i`` answer it (not a new question)."""
    j = answer_start(lower, i)
    if j >= len(text) or not text[j].strip() or lower[j] in QUESTION_WORDS:
        return False
    end = j
    while end < len(text) and text[end] not in SENTENCE_END and "\n" not in text[end]:
        end += 1
    return end >= len(text) or not text[end].startswith("?")


_STRINGS: dict[int, str] = {}


def _string(doc: Doc, key: int) -> str:
    """A string of the doc's vocabulary by its hash (cached: hashes are stable)."""
    word = _STRINGS.get(key)
    if word is None:
        word = _STRINGS[key] = doc.vocab.strings[key]
    return word


#: No sentence is longer (in tokens): the longest in the written sets is 61, and every rule
#: that reads a sentence then costs at most this much, so reading stays linear in the text.
MAX_SENTENCE = 150
#: A sentence cut for length is cut after one of these, if one is near.
CUT_AFTER = frozenset({",", ";", ":", "-", "and", "or", "but", "then", "so"})
CUT_LOOKBACK = 40


def _cap_sentences(text: list[str], starts: list[int]) -> None:
    """Start a new sentence where one would run past :data:`MAX_SENTENCE` tokens: after the
    last clause mark within :data:`CUT_LOOKBACK` tokens, else right there."""
    last = 0
    for i in range(1, len(text)):
        if starts[i] == 1:
            last = i
        elif i - last >= MAX_SENTENCE:
            cut = next((j for j in range(i, i - CUT_LOOKBACK, -1) if text[j - 1] in CUT_AFTER), i)
            starts[cut] = 1
            last = cut


@Language.component("backclf_sentences")
def split_sentences(doc: Doc) -> Doc:
    """Sentence starts: after end punctuation and line breaks, not between a question and
    its answer."""
    if not len(doc):
        return doc
    rows = doc.to_array([ORTH, LOWER, SPACY, IDX]).tolist()
    prepared = prepared_of(doc)
    text = [_string(doc, r[0]) for r in rows]
    lower = [_string(doc, r[1]) for r in rows]
    starts = [1] + [-1] * (len(rows) - 1)
    for i in range(1, len(rows)):
        prev = text[i - 1]
        ends = prev in SENTENCE_END or "\n" in prev or "\n" in text[i]
        # an abbreviation's full stop ("no V. Tolerating fluids") ends a sentence too
        ends = ends or (
            len(prev) > 1
            and prev.endswith(".")
            and rows[i - 1][2]
            and prepared.is_title(rows[i][3], rows[i][3] + len(text[i]))
        )
        if ends and prev.startswith("?") and _answer_follows(text, lower, i - 1):
            ends = False
        if ends and text[i] not in SENTENCE_END and "\n" not in text[i]:
            starts[i] = 1
    _cap_sentences(text, starts)
    # SENT_START as spaCy stores it: 1 starts a sentence, -1 does not (as unsigned 64 bits)
    column = numpy.array(starts, dtype="int64").astype("uint64").reshape(-1, 1)
    doc.from_array([SENT_START], column)
    return doc


def _lookup_file(name: str) -> dict:
    data = resources.files("spacy_lookups_data").joinpath("data", name).read_bytes()
    return orjson.loads(gzip.decompress(data))


@cache
def lemma_table() -> dict[str, str]:
    """spaCy's English lemma lookup table (spacy-lookups-data), with the lexicon's keeps."""
    table = _lookup_file("en_lemma_lookup.json.gz")
    for word in lexicon().normalise.keep:
        table[word] = word
    return table


@cache
def known_words() -> frozenset[str]:
    """Words that are never respelt: English words (spaCy's lookup tables and stop words)
    and every word of the lexicon and the ConText rules."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words: set[str] = set(STOP_WORDS)
    table = lemma_table()
    words.update(table)
    words.update(table.values())
    for pos_words in _lookup_file("en_lemma_index.json.gz").values():
        words.update(pos_words)
    lex = lexicon()
    phrases = [p for f in lex.findings.values() for ps in f.phrases().values() for p in ps]
    phrases += [p for f in lex.findings.values() for p in f.ability]
    phrases += [p for rules in lex.safety_net.values() for r in rules for p in r.words + r.near]
    phrases += [p for p, _, _ in modifier_phrases()] + lex.not_findings
    for phrase in phrases:
        words.update(phrase.lower().split())
    words.update(lex.normalise.respell)
    return frozenset(words)


def _slip_limit(word: str) -> int:
    return 2 if len(word) >= 8 else 1


@cache
def _corrected(word: str) -> str | None:
    """The red-flag word ``word`` is a typing slip of, if any (same first letter)."""
    from rapidfuzz.distance import OSA  # a swap of two letters is one slip ("nmub")

    best, best_distance = None, _slip_limit(word) + 1
    for target in lexicon().normalise.spelling_targets:
        if target[0] != word[0] or abs(len(target) - len(word)) > _slip_limit(word):
            continue
        distance = OSA.distance(word, target, score_cutoff=_slip_limit(word))
        if distance < best_distance:
            best, best_distance = target, distance
    return best


@cache
def lemma_of(lower: str, norm: str) -> str:
    """The matching form of one token, from its lower-cased text and spaCy's norm."""
    respell = lexicon().normalise.respell
    word = norm if lower in CONTRACTIONS and norm != lower else lower
    word = respell.get(word, word)
    table = lemma_table()
    if word in table:
        return table[word]
    if len(word) >= 4 and word.isalpha():
        fixed = _corrected(word)
        if fixed is not None and word not in known_words():
            return table.get(fixed, fixed)
    return word


def phrase_doc(nlp: Language, phrase: str) -> Doc:
    """A lexicon phrase as a normalised doc, tokenised as a text would be (plain words skip
    the tokenizer: building the pipeline tokenises thousands of phrases)."""
    words = phrase.split()
    special = nlp.tokenizer.rules or {}
    if all(w.isalpha() and w not in special for w in words):
        doc = Doc(nlp.vocab, words=words, spaces=[True] * (len(words) - 1) + [False])
    else:
        doc = nlp.make_doc(phrase)
    return nlp.get_pipe("backclf_normalise")(doc)


@Language.factory("backclf_normalise")
def make_normaliser(nlp: Language, name: str):
    lemma_table()
    lemmas: dict[tuple[int, int], int] = {}

    def normalise(doc: Doc) -> Doc:
        """Set each token's lemma (as an array: no spaCy ``Token`` is built) and keep the
        doc's token table for the components after this one."""
        if not len(doc):
            return doc
        attrs = [ORTH, LOWER, NORM, IS_PUNCT, IS_ALPHA, LIKE_NUM, SPACY, SENT_START, IDX]
        rows = doc.to_array(attrs).tolist()
        strings = doc.vocab.strings
        known = _STRINGS
        hashes, lemma_words = [], []
        for _, low, norm, *_ in rows:
            key = (low, norm)
            h = lemmas.get(key)
            if h is None:
                h = lemmas[key] = strings.add(lemma_of(_string(doc, low), _string(doc, norm)))
            hashes.append(h)
            lemma_words.append(known[h] if h in known else _string(doc, h))
        doc.from_array([LEMMA], numpy.array(hashes, dtype="uint64").reshape(-1, 1))
        sentence, bounds, number = [], [], -1
        for i, row in enumerate(rows):
            if row[7] == 1 or number < 0:
                number += 1
                bounds.append(i)
            sentence.append(number)
        ends = [*bounds[1:], len(rows)]
        text = [known[r[0]] if r[0] in known else _string(doc, r[0]) for r in rows]
        source = "".join(t + " " if r[6] else t for t, r in zip(text, rows, strict=True))
        doc.user_data[TOKENS] = Tokens(
            source=source,  # doc.text, without building a Token per token
            text=text,
            lower=[known[r[1]] if r[1] in known else _string(doc, r[1]) for r in rows],
            lemma=lemma_words,
            punct=[bool(r[3]) for r in rows],
            alpha=[bool(r[4]) for r in rows],
            number=[bool(r[5]) for r in rows],
            space_after=[bool(r[6]) for r in rows],
            idx=[r[8] for r in rows],
            sentence=sentence,
            bounds=list(zip(bounds, ends, strict=True)),
            prepared=prepared_of(doc),
        )
        return doc

    return normalise
