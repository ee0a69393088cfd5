"""The safety screen: the red-flag findings still unanswered, derived from the rules file.

Each rule's condition is expanded into its *terms*: the minimal sets of leaves (``fever:
true``, ``age >= 70``) that make it fire on their own (``any`` of ``all`` of ...). Then:

- the **checklist** ("Do any of these apply to you now?") holds every yes/no finding a rule
  tests, and every choice whose leaf fires a rule alone (``radiating_leg_pain: both_legs``);
- a **follow-up** asks any other finding a rule tests (a number such as ``age >= 70`` or
  ``pain_severity >= 7``, a choice that counts only with others such as ``trigger:
  minor_fall_or_bump``) once the checklist leaves of its term hold: after "osteoporosis:
  yes", "what set the pain off?". Follow-ups come one at a time, most urgent rule first.

So when the screen has been answered truthfully, every rule that the whole case would fire
has fired: a new rule in ``red_flags.yaml`` is screened without any change here. Silence is
not "no": a finding is asked until it is known or answered "don't know"; and neither is the
free-text reader's "no": a checklist finding read from the person's words as not holding is
asked again, so a misread negation cannot hide a red flag. A finding whose
leaf can no longer matter (its every term has a leaf known not to hold) is not asked, nor is
one whose question does not apply (``skip_when`` in ``questions.yaml``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns
from backclf.contract.fields import FIELD_NAMES, FIELDS
from backclf.core.red_flags import (
    OR_UNKNOWN,
    Check,
    RuleError,
    RuleSet,
    compile_condition,
    rule_set,
)

#: A rule that expands into more terms than this is not one a person could read.
MAX_TERMS = 4096


def condition_terms(condition: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The terms of a condition: lists of leaves, any one list of which makes it true."""
    ((key, arg),) = condition.items()
    if key == "any":
        terms = [term for part in arg for term in condition_terms(part)]
    elif key == "all":
        terms = [[]]
        for part in arg:
            terms = [done + more for done in terms for more in condition_terms(part)]
    else:
        terms = [[condition]]
    if len(terms) > MAX_TERMS:
        raise RuleError(f"a rule expands into more than {MAX_TERMS} combinations of findings")
    return terms


def leaf_finding(leaf: dict[str, Any]) -> str:
    return next(iter(leaf))


def _holds_unknown(leaf: dict[str, Any]) -> bool:
    """A leaf that holds while its finding is unknown (``{"unknown or <": 90}``)."""
    arg = next(iter(leaf.values()))
    return isinstance(arg, dict) and next(iter(arg)).startswith(OR_UNKNOWN)


def unknown(columns: Columns, finding: str) -> np.ndarray:
    col = columns[finding]
    return np.isnan(col) if FIELDS[finding].numeric else col < 0


def still_open(
    columns: Columns,
    finding: str,
    asked: Mapping[str, np.ndarray],
    skipped: Mapping[str, np.ndarray],
) -> np.ndarray:
    """Where a finding can still be asked: unknown, not answered "don't know", applicable."""
    return unknown(columns, finding) & answerable(finding, asked, skipped)


def answerable(
    finding: str, asked: Mapping[str, np.ndarray], skipped: Mapping[str, np.ndarray]
) -> np.ndarray | bool:
    """Where a finding was not answered "don't know" and its question applies."""
    out: np.ndarray | bool = True
    for marks in (asked, skipped):
        if finding in marks:
            out = out & ~marks[finding]
    return out


@dataclass(frozen=True)
class Screen:
    """The rules as terms over leaves, compiled for whole batches.

    ``member[t, j]``: leaf ``j`` is in term ``t``. ``checklist`` and ``follow_up`` are the
    findings asked each way, most urgent rule first."""

    leaves: tuple[dict[str, Any], ...]
    checks: tuple[Check, ...]
    leaf_findings: tuple[str, ...]
    member: np.ndarray  # (T, L) bool
    term_leaves: np.ndarray  # (T, M) each term's leaves, padded with L (a leaf that holds)
    term_rank: np.ndarray  # (T,) the triage rank of each term's rule
    checklist: tuple[str, ...]
    follow_up: tuple[str, ...]
    #: The checklist's groups (questions.yaml), in its order: (title, findings).
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def leaves_on(self, finding: str) -> np.ndarray:
        """``(L,)`` bool: the leaves that test ``finding``."""
        return np.array([f == finding for f in self.leaf_findings])

    def pending(
        self,
        columns: Columns,
        asked: Mapping[str, np.ndarray],
        skipped: Mapping[str, np.ndarray],
        from_text: Mapping[str, np.ndarray] | None = None,
        above: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(n, len(checklist))`` and ``(n, len(follow_up))`` bool: what is still to be asked
        of each case. ``asked[f]`` marks "don't know" answers; ``skipped[f]`` questions that do
        not apply; ``from_text[f]`` values read from free text, not given by the person;
        ``above[i]`` (a triage rank, or -1) asks case ``i`` only about rules above it."""
        n = len(next(iter(columns.values())))
        open_ = {f: still_open(columns, f, asked, skipped) for f in set(self.leaf_findings)}
        leaves = len(self.leaf_findings)
        holds = np.column_stack([check(columns) for check in self.checks]).reshape(n, leaves)
        for finding, read in (from_text or {}).items():
            if finding in self.checklist:
                not_there = read & ~holds[:, self.leaves_on(finding)].any(axis=1)  # read as absent
                open_[finding] = open_[finding] | (not_there & answerable(finding, asked, skipped))
        open_leaves = np.column_stack([open_[f] for f in self.leaf_findings]).reshape(n, leaves)
        can_hold = holds | open_leaves
        live = self._every_leaf(can_hold)  # (n, T): no leaf known to fail
        if above is not None:
            live &= self.term_rank[None, :] > above[:, None]
        in_list = np.array([f in self.checklist for f in self.leaf_findings])
        # A term is ready for its follow-ups when all of its checklist leaves hold.
        ready = live & self._every_leaf(holds | ~in_list)
        checklist = self._asked_in(self.checklist, open_, live)
        follow_up = self._asked_in(self.follow_up, open_, ready)
        return checklist, follow_up

    def _every_leaf(self, leaf: np.ndarray) -> np.ndarray:
        """``(n, T)``: where ``leaf[:, j]`` is true for every leaf ``j`` of a term."""
        padded = np.concatenate([leaf, np.ones((len(leaf), 1), dtype=bool)], axis=1)
        return padded[:, self.term_leaves].all(axis=2)

    def _asked_in(
        self, findings: tuple[str, ...], open_: dict[str, np.ndarray], terms: np.ndarray
    ) -> np.ndarray:
        out = np.zeros((len(terms), len(findings)), dtype=bool)
        for i, finding in enumerate(findings):
            has = self.member[:, self.leaves_on(finding)].any(axis=1)  # (T,) the terms testing it
            out[:, i] = open_[finding] & terms[:, has].any(axis=1)
        return out


@cache
def screen() -> Screen:
    """The packaged rules as a screen."""
    return build_screen(rule_set())


def build_screen(rules: RuleSet) -> Screen:
    """The screen of a set of rules."""
    leaves: dict[str, dict[str, Any]] = {}
    terms: list[tuple[int, list[str]]] = []
    for r, rule in enumerate(rules.rules):
        for term in condition_terms(rule.when):
            keys = []
            for leaf in term:
                key = json.dumps(leaf, sort_keys=True)
                leaves.setdefault(key, leaf)
                keys.append(key)
            terms.append((r, keys))
    order = list(leaves)
    member = np.zeros((len(terms), len(order)), dtype=bool)
    for t, (_, keys) in enumerate(terms):
        member[t, [order.index(k) for k in keys]] = True
    widest = max((len(keys) for _, keys in terms), default=0)
    term_leaves = np.full((len(terms), widest), len(order), dtype=np.int64)
    for t, (_, keys) in enumerate(terms):
        term_leaves[t, : len(keys)] = [order.index(k) for k in keys]
    term_rank = np.array([int(rules.ranks[r]) for r, _ in terms], dtype=np.int64)
    findings = tuple(leaf_finding(leaves[k]) for k in order)
    # A leaf that holds while its finding is unknown ("unknown or <") asks nothing first.
    answered = np.array([not _holds_unknown(leaves[k]) for k in order], dtype=bool)
    needed = (member & answered[None, :]).sum(axis=1)
    alone = {findings[j] for j in range(len(order)) if (member[:, j] & (needed == 1)).any()}
    tested = set(findings)
    on_list = {
        f for f in tested if FIELDS[f].kind == "bool" or (FIELDS[f].kind == "enum" and f in alone)
    }
    urgency = {
        f: max(term_rank[member[:, [j for j, g in enumerate(findings) if g == f]].any(axis=1)])
        for f in tested
    }

    def ranked(names: set[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=lambda f: (-urgency[f], FIELD_NAMES.index(f))))

    checks = tuple(compile_condition(leaves[k], f"screen leaf {k}") for k in order)
    bank = knowledge.question_bank().questions
    missing = [f for f in on_list if not (bank.get(f) and bank[f].item)]
    if missing:
        raise RuleError(f"questions.yaml: no checklist item for {sorted(missing)}")
    groups = _grouped(on_list, urgency)
    return Screen(
        tuple(leaves[k] for k in order),
        checks,
        findings,
        member,
        term_leaves,
        term_rank,
        tuple(f for _, members in groups for f in members),
        ranked(tested - on_list),
        groups,
    )


def _grouped(on_list: set[str], urgency: dict[str, int]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The checklist in the groups of questions.yaml: groups by their most urgent line, lines
    most urgent first (then in the file's order). Every line is in exactly one group."""
    written = knowledge.question_bank().checklist_groups
    placed = [f for group in written for f in group.findings]
    twice = {f for f in placed if placed.count(f) > 1}
    if twice:
        raise RuleError(f"questions.yaml: in more than one checklist group: {sorted(twice)}")
    if set(placed) - set(FIELD_NAMES):
        raise RuleError(
            f"questions.yaml: unknown findings {sorted(set(placed) - set(FIELD_NAMES))}"
        )
    if on_list - set(placed):
        raise RuleError(f"questions.yaml: no checklist group for {sorted(on_list - set(placed))}")
    groups = []
    for g, group in enumerate(written):
        lines = [f for f in group.findings if f in on_list]
        lines.sort(key=lambda f: (-urgency[f], group.findings.index(f)))
        if lines:
            groups.append((-urgency[lines[0]], g, group.title, tuple(lines)))
    return tuple((title, lines) for _, _, title, lines in sorted(groups))
