"""A doc's tokens as plain lists, read once: the components look tokens up thousands of times
per doc, and each ``doc[i]`` builds a new spaCy ``Token`` (the largest cost of the reader
before this table)."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc

from backclf.text.prepare import Prepared

KEY = "backclf_tokens"
#: Where the tokenizer keeps the prepared text and its map to the original
#: (:mod:`backclf.text.prepare`).
PREPARED = "backclf_prepared"


def prepared_of(doc: Doc) -> Prepared:
    """The doc's prepared text and its map back to the original (a doc made from words,
    such as a lexicon phrase, maps to itself)."""
    found = doc.user_data.get(PREPARED)
    if found is None:
        found = doc.user_data[PREPARED] = Prepared(doc.text, doc.text)
    return found


@dataclass(frozen=True)
class Tokens:
    source: str  # the doc's text (``doc.text`` joins every token on each call)
    text: list[str]
    lower: list[str]
    lemma: list[str]
    punct: list[bool]
    alpha: list[bool]
    number: list[bool]  # like a number ("7", "seven")
    space_after: list[bool]
    idx: list[int]  # each token's first character in the text
    sentence: list[int]  # the number of each token's sentence
    bounds: list[tuple[int, int]]  # each sentence's (start, end)
    prepared: Prepared  # the text before it was prepared, and the way back to it

    def __len__(self) -> int:
        return len(self.text)

    def sent_start(self, i: int) -> bool:
        return self.bounds[self.sentence[i]][0] == i

    def bounds_of(self, i: int) -> tuple[int, int]:
        return self.bounds[self.sentence[i]]

    def chars(self, start: int, end: int) -> tuple[int, int]:
        """The character offsets of tokens ``start`` to ``end`` (exclusive)."""
        return self.idx[start], self.idx[end - 1] + len(self.text[end - 1])

    def words(self, start: int, end: int) -> str:
        """The text of tokens ``start`` to ``end`` (exclusive)."""
        first, last = self.chars(start, end)
        return self.source[first:last]

    def written(self, start: int, end: int) -> str:
        """Tokens ``start`` to ``end`` (exclusive) as the writer wrote them."""
        first, last = self.prepared.original_span(*self.chars(start, end))
        return self.prepared.original[first:last]

    def title(self, i: int) -> bool:
        """Whether token ``i`` was written as a title ("Dad", "I"): the text read is lower
        case, so this asks the original."""
        return self.prepared.is_title(*self.chars(i, i + 1))


def tokens(doc: Doc) -> Tokens:
    """The table of a doc whose sentences and lemmas are set (built on first use)."""
    table = doc.user_data.get(KEY)
    if table is None:
        fields: dict[str, list] = {
            k: []
            for k in (
                "text",
                "lower",
                "lemma",
                "punct",
                "alpha",
                "number",
                "space_after",
                "idx",
            )
        }
        sentence, bounds, number = [], [], -1
        for token in doc:
            if token.is_sent_start or number < 0:
                number += 1
                bounds.append((token.i, token.i))
            sentence.append(number)
            fields["text"].append(token.text)
            fields["lower"].append(token.lower_)
            fields["lemma"].append(token.lemma_)
            fields["punct"].append(token.is_punct)
            fields["alpha"].append(token.is_alpha)
            fields["number"].append(token.like_num)
            fields["space_after"].append(bool(token.whitespace_))
            fields["idx"].append(token.idx)
        ends = [start for start, _ in bounds[1:]] + ([len(doc)] if bounds else [])  # "" has none
        bounds = [(start, end) for (start, _), end in zip(bounds, ends, strict=True)]
        table = Tokens(
            source=doc.text, **fields, sentence=sentence, bounds=bounds, prepared=prepared_of(doc)
        )
        doc.user_data[KEY] = table
    return table
