"""How far a ConText modifier reaches (``context.yaml``'s ``lists``).

A modifier reaches from its words to the end of its clause in its direction, inside its
sentence. A clause ends at the sentence's end, at a terminating word, at the next modifier of
the same category, or at a list boundary (",", "and", "or") that no list item follows: "denies
rigors, dysuria, incontinence" reaches all three; "no fever, my back hurts" stops at the
comma. "no A and B" reaches B only as ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from backclf.text.lexicon import context_rules
from backclf.text.modifiers import PERSON, Trigger
from backclf.text.people import person_word
from backclf.text.tokens import Tokens

POSSESSIVES = frozenset({"my", "his", "her", "their", "our", "your"})
#: "Someone hit me with a bat": what follows the writer as an object is the writer's.
OBJECTS = frozenset({"me", "myself"})
#: A person's scope ends where another subject starts.
NEW_SUBJECTS = frozenset({"i", "he", "she", "we", "they", "you"})
#: A clause that opens with one of these (or a person) has a subject of its own.
SUBJECTS = frozenset({"i", "i'm", "im", "he", "she", "we", "they", "you", "it", "there", "this",
                      "that", "my", "his", "her", "their", "our", "your"})  # fmt: skip


@cache
def clause_words() -> frozenset[str]:
    return frozenset(context_rules().lists.clause_words)


@dataclass(frozen=True)
class Limits:
    """Where a trigger's scope stops: a sentence end or terminating word (``stops``), or a
    trigger of the same category (``same``) other than the trigger's own words."""

    stops: set[int]
    same: set[int]
    own: range

    def __contains__(self, i: int) -> bool:
        return (i in self.stops or i in self.same) and i not in self.own


class Scopes:
    """Sets each trigger's scope by the list rules of ``context.yaml``."""

    def __init__(self) -> None:
        lists = context_rules().lists
        self.boundaries = frozenset(lists.boundaries)
        self.always = frozenset(lists.always_continue)
        self.item_max = lists.item_max_tokens

    def is_boundary(self, tok: Tokens, i: int) -> bool:
        return tok.lemma[i] in self.boundaries or tok.text[i] in self.boundaries

    def forward(self, tok: Tokens, trigger: Trigger, end: int, stops: Limits, starts: set[int]):
        """The scope after the trigger, to ``end`` at most (its sentence's end)."""
        i, listed, ambiguous = trigger.end, False, None
        if trigger.max_scope is not None:
            end = min(end, trigger.end + trigger.max_scope)
        person = trigger.category == PERSON
        while i < end:
            if i in stops or (person and tok.lower[i] in OBJECTS):
                break
            if person and i > trigger.end and tok.lower[i] in NEW_SUBJECTS:
                break  # "I know he injects heroin": his, not mine
            if tok.text[i] == ":" and i > trigger.end:
                break  # "Never had this before: I bent down" (but "Denies: fever, chills")
            if not self.is_boundary(tok, i):
                i += 1
                continue
            kinds, j = set(), i
            while j < end and self.is_boundary(tok, j):
                kinds.add(tok.lemma[j])
                j += 1
            no_list = trigger.category == "inability" or (
                trigger.direction == "both" and trigger.category != "negated"
            )
            if no_list and not kinds & self.always:  # "2 years ago, on tacrolimus"
                break
            if j >= end or j in stops:
                break
            if person:  # "my mum wet herself and has numbness": the same subject goes on
                if self._has_subject(tok, j, end, stops):
                    break
            elif not self._item_goes_on(tok, j, end, stops, starts, kinds):
                break
            if "and" in kinds and not listed and not kinds & self.always and "," not in kinds:
                ambiguous = j if ambiguous is None else ambiguous
            listed = listed or "," in kinds
            trigger.listed_from = j if trigger.listed_from is None else trigger.listed_from
            i = j
        trigger.scope, trigger.ambiguous_from = (trigger.end, i), ambiguous

    def _has_subject(self, tok: Tokens, j: int, end: int, stops: Limits) -> bool:
        """Whether the clause at token ``j`` (to the next list boundary) names a subject of
        its own ("and now my back's sore": yes; "and has numbness": no)."""
        k = j
        while k < end and k not in stops and not self.is_boundary(tok, k):
            if tok.lower[k] in SUBJECTS or person_word(tok.lower[k]) is not None:
                return True
            k += 1
        return False

    def _item_goes_on(self, tok: Tokens, j: int, end: int, stops, starts, kinds) -> bool:
        """Whether a list goes on at token ``j`` (after a boundary): after "or", or when the
        next item is short and starts no clause."""
        if kinds & self.always:
            return True
        k = j
        while k < end and k not in stops and not self.is_boundary(tok, k):
            if tok.text[k] == ":":
                return False  # the item has its own answer ("fever: no, chills: yes")
            k += 1
        short = k - j <= self.item_max
        if j in starts:  # the item is a finding ("denies fever, night pain")
            return short
        clause = clause_words()
        return short and not any(w in clause for w in tok.lower[j:k])

    def backward(self, tok: Tokens, trigger: Trigger, begin: int, stops: Limits, ends: set[int]):
        """The scope before the trigger, back to ``begin`` at most (its sentence's start)."""
        i = trigger.start - 1
        clause = clause_words()
        if trigger.reach_back is not None:  # "left ventricular size is normal": the few
            begin = max(begin, trigger.start - trigger.reach_back)  # words before, in its
            colons = [k for k in range(begin, trigger.start) if tok.text[k] == ":"]  # label
            begin = colons[-1] + 1 if colons else begin
        if i >= begin and tok.lower[i] in clause and (i + 1) not in ends:
            trigger.scope = (trigger.start, trigger.start)  # "I wasn't": the clause goes on
            return
        while i >= begin:
            if i in stops:
                break
            if not self.is_boundary(tok, i):
                i -= 1
                continue
            kinds, j = set(), i
            while j >= begin and self.is_boundary(tok, j):
                kinds.add(tok.lemma[j])
                j -= 1
            if j < begin or j in stops or trigger.max_scope == 0:
                break
            k = j
            while k >= begin and k not in stops and not self.is_boundary(tok, k):
                k -= 1
            item_start = k + 1
            short = j + 1 - item_start <= self.item_max or (j + 1) in ends
            # "his nausea and vomiting resolved": a possessive starts a noun, not a clause
            said = any(w in clause and w not in POSSESSIVES for w in tok.lower[item_start : j + 1])
            if not kinds & self.always and (said or not short):
                break
            trigger.listed_from = j + 1
            i = j
        trigger.scope = (i + 1, trigger.start)
