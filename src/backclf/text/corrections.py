"""A writer who takes back a "no": "No numbness. Wait, actually yes", "no - hang on, I do".

A correction is a cue ("wait", "actually", "hang on") that opens a sentence, or follows a
"no" in its own sentence, with an affirmation ("yes", "it does", "I do") within a few tokens
(``context.yaml``'s ``corrections``). The findings negated just before it, in its sentence
or the one before, are marked ``asserted``: the reader counts a red flag among them as
present, with a note, and leaves anything else unknown (it may be asked again).
"""

from __future__ import annotations

from dataclasses import replace

from backclf.text.lexicon import Corrections as CorrectionWords
from backclf.text.modifiers import Modifiers
from backclf.text.tokens import Tokens


def _phrases(words: list[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(w.split()) for w in words)


class Corrections:
    def __init__(self, words: CorrectionWords) -> None:
        self.cues = _phrases(words.cues)
        self.affirm = _phrases(words.affirm)
        self.window = words.window
        self.first_words = frozenset(cue[0] for cue in self.cues)

    def _at(self, lower: list[str], i: int, phrases) -> int:
        """The length of the phrase of ``phrases`` that starts at token ``i`` (0: none)."""
        for phrase in phrases:
            if tuple(lower[i : i + len(phrase)]) == phrase:
                return len(phrase)
        return 0

    def _corrections(self, tok: Tokens) -> list[int]:
        """The tokens where a correction starts."""
        found = []
        lower = tok.lower
        for i in range(len(tok)):
            length = self._at(lower, i, self.cues)
            if not length:
                continue
            sent_start, sent_end = tok.bounds_of(i)
            opens = i == sent_start or all(tok.punct[k] for k in range(sent_start, i))
            if not opens and not (i > 0 and tok.punct[i - 1]):
                continue  # "wait" inside a clause ("I can't wait") is no correction
            end = min(sent_end, i + length + self.window)
            if any(self._at(lower, k, self.affirm) for k in range(i + length, end)):
                found.append(i)
        return found

    def apply(self, tok: Tokens, spans, found: dict) -> None:
        """Mark the negated findings a correction takes back as ``asserted`` (in place)."""
        if self.first_words.isdisjoint(tok.lower):
            return
        for at in self._corrections(tok):
            sentence = tok.sentence[at]
            for span in spans:
                key = (span.start, span.end, span.label, span.id)
                here = tok.sentence[span.start]
                before = here == sentence - 1 or (here == sentence and span.end <= at)
                modifiers: Modifiers = found[key]
                if before and modifiers.negated:
                    found[key] = replace(
                        modifiers, negated=False, listed=False, denied=False, asserted=True
                    )
