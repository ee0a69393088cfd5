"""Two spaCy components that prepare a text for matching.

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

import orjson
from spacy.language import Language
from spacy.tokens import Doc

from backclf.text.lexicon import context_rules, lexicon, modifier_phrases

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


def answer_start(doc: Doc, i: int) -> int:
    """The first token of the answer after the question mark at ``i`` (markers skipped)."""
    j = i + 1
    moved = True
    while moved:
        moved = False
        for marker in _answer_markers():
            words = tuple(t.lower_ for t in doc[j : j + len(marker)])
            if words == marker:
                j, moved = j + len(marker), True
    return j


def _answer_follows(doc: Doc, i: int) -> bool:
    """Whether the tokens after the question mark at ``i`` answer it (not a new question)."""
    j = answer_start(doc, i)
    if j >= len(doc) or doc[j].is_space or doc[j].lower_ in QUESTION_WORDS:
        return False
    end = j
    while end < len(doc) and doc[end].text not in SENTENCE_END and "\n" not in doc[end].text:
        end += 1
    return end >= len(doc) or not doc[end].text.startswith("?")


@Language.component("backclf_sentences")
def split_sentences(doc: Doc) -> Doc:
    """Sentence starts: after end punctuation and line breaks, not between a question and
    its answer."""
    if not len(doc):
        return doc
    doc[0].is_sent_start = True
    for i in range(1, len(doc)):
        prev = doc[i - 1]
        ends = prev.text in SENTENCE_END or "\n" in prev.text or "\n" in prev.whitespace_
        # an abbreviation's full stop ("no V. Tolerating fluids") ends a sentence too
        ends = ends or (
            len(prev.text) > 1
            and prev.text.endswith(".")
            and doc[i].is_title
            and bool(prev.whitespace_)
        )
        if ends and prev.text.startswith("?") and _answer_follows(doc, i - 1):
            ends = False
        doc[i].is_sent_start = ends and doc[i].text not in SENTENCE_END
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
    phrases = [p for f in lex.findings.values() for ps in f.values.values() for p in ps]
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
    from rapidfuzz.distance import Levenshtein

    best, best_distance = None, _slip_limit(word) + 1
    for target in lexicon().normalise.spelling_targets:
        if target[0] != word[0] or abs(len(target) - len(word)) > _slip_limit(word):
            continue
        distance = Levenshtein.distance(word, target, score_cutoff=_slip_limit(word))
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
    if len(word) >= 5 and word.isalpha():
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

    def normalise(doc: Doc) -> Doc:
        for token in doc:
            token.lemma_ = lemma_of(token.lower_, token.norm_)
        return doc

    return normalise
