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
from backclf.core.conditions import (
    MAX_TERMS,
    ConditionSet,
    batch_size,
    condition_terms,
    small_batch_values,
)
from backclf.core.red_flags import (
    OR_UNKNOWN,
    Check,
    RuleError,
    RuleSet,
    compile_condition,
    rule_set,
)

__all__ = ["MAX_TERMS", "Screen", "build_screen", "condition_terms", "screen", "still_open"]


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


def grouped_any(mask: np.ndarray, groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """The rows and starts that make ``np.logical_or.reduceat(mask[rows], starts, axis=0)``
    the ``any`` of each (non-empty) group of ``mask``'s rows."""
    if any(not group for group in groups):
        raise ValueError("every group needs a column")  # reduceat would not take its any
    columns = np.array([j for group in groups for j in group], dtype=np.int64)
    starts = np.cumsum([0] + [len(group) for group in groups]).astype(np.int64)[:-1]
    return columns, starts


@dataclass(frozen=True, eq=False)
class Screen:
    """The rules as terms over leaves, compiled for whole batches once (:func:`build_screen`).

    ``member[t, j]``: leaf ``j`` is in term ``t``. ``checklist`` and ``follow_up`` are the
    findings asked each way, most urgent rule first. The arrays after ``groups`` are the
    case-independent index tables :meth:`pending` reads, built with the screen."""

    leaves: tuple[dict[str, Any], ...]
    checks: tuple[Check, ...]
    leaf_findings: tuple[str, ...]
    member: np.ndarray  # (T, L) bool
    term_leaves: np.ndarray  # (T, M) each term's leaves, padded with L (a leaf that holds)
    term_rank: np.ndarray  # (T,) the triage rank of each term's rule
    checklist: tuple[str, ...]
    follow_up: tuple[str, ...]
    #: The checklist's groups (questions.yaml), in its order: (title, findings).
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    conditions: ConditionSet  # the rules' conditions, whose leaves are ``leaves``
    findings: tuple[str, ...]  # (D,) the distinct findings the leaves test
    finding_column: np.ndarray  # (D,) each one's column in finding_values
    leaf_finding_index: np.ndarray  # (L,) each leaf's finding, an index into ``findings``
    in_list: np.ndarray  # (L,) bool: the leaf tests a checklist finding
    checklist_index: np.ndarray  # (C,) into ``findings``
    follow_up_index: np.ndarray  # (U,) into ``findings``
    checklist_terms: tuple[np.ndarray, np.ndarray]  # grouped_any: the terms testing each
    follow_up_terms: tuple[np.ndarray, np.ndarray]
    finding_leaves: tuple[np.ndarray, np.ndarray]  # grouped_any: each finding's leaves
    position: dict[str, int]  # each of ``findings``' index
    listed: frozenset[str]  # the checklist's findings

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
        values: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(n, len(checklist))`` and ``(n, len(follow_up))`` bool: what is still to be asked
        of each case. ``asked[f]`` marks "don't know" answers; ``skipped[f]`` questions that do
        not apply; ``from_text[f]`` values read from free text, not given by the person;
        ``above[i]`` (a triage rank, or -1) asks case ``i`` only about rules above it;
        ``values``: the batch's :func:`~backclf.core.conditions.finding_values`, if read."""
        if values is None:
            values = small_batch_values(columns)
        if values is None:
            return self._pending_by_column(columns, asked, skipped, from_text, above)
        n = len(values)
        index = self.position
        # Row per leaf (finding, term) and column per case: each step reads whole rows.
        holds = self.conditions.tests.holds_by_test(values)  # (L, n)
        allowed = np.ones((len(self.findings), n), dtype=bool)  # not "don't know", applies
        for marks in (asked, skipped):
            for finding, mask in marks.items():
                if finding in index:
                    allowed[index[finding]] &= ~mask
        open_ = np.isnan(values.T[self.finding_column]) & allowed  # (D, n)
        if from_text:
            on_finding = _grouped(holds, self.finding_leaves)  # (D, n): some leaf holds
            for finding, read in from_text.items():
                if finding in self.listed:
                    j = index[finding]
                    not_there = read & ~on_finding[j]  # read as absent
                    open_[j] |= not_there & allowed[j]
        can_hold = holds | open_[self.leaf_finding_index]
        live = self.conditions.terms(can_hold)  # (T, n): no leaf known to fail
        if above is not None:
            live &= self.term_rank[:, None] > above[None, :]
        # A term is ready for its follow-ups when all of its checklist leaves hold.
        ready = live & self.conditions.terms(holds | ~self.in_list[:, None])
        checklist = open_[self.checklist_index] & _grouped(live, self.checklist_terms)
        follow_up = open_[self.follow_up_index] & _grouped(ready, self.follow_up_terms)
        return np.ascontiguousarray(checklist.T), np.ascontiguousarray(follow_up.T)

    def _pending_by_column(
        self,
        columns: Columns,
        asked: Mapping[str, np.ndarray],
        skipped: Mapping[str, np.ndarray],
        from_text: Mapping[str, np.ndarray] | None,
        above: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`pending` for a large batch: one finding's (or leaf's) cases at a time."""
        n = batch_size(columns)
        open_ = {f: still_open(columns, f, asked, skipped) for f in self.findings}
        leaves = len(self.leaf_findings)
        holds = np.column_stack([check(columns) for check in self.checks]).reshape(n, leaves)
        for finding, read in (from_text or {}).items():
            if finding in self.listed:
                not_there = read & ~holds[:, self.leaves_on(finding)].any(axis=1)  # read as absent
                open_[finding] = open_[finding] | (not_there & answerable(finding, asked, skipped))
        open_leaves = np.column_stack([open_[f] for f in self.leaf_findings]).reshape(n, leaves)
        live = self._every_leaf(holds | open_leaves)  # (n, T): no leaf known to fail
        if above is not None:
            live &= self.term_rank[None, :] > above[:, None]
        # A term is ready for its follow-ups when all of its checklist leaves hold.
        ready = live & self._every_leaf(holds | ~self.in_list)
        checklist = self._asked_in(self.checklist, self.checklist_terms, open_, live)
        follow_up = self._asked_in(self.follow_up, self.follow_up_terms, open_, ready)
        return checklist, follow_up

    def _every_leaf(self, leaf: np.ndarray) -> np.ndarray:
        """``(n, T)``: where ``leaf[:, j]`` is true for every leaf ``j`` of a term."""
        padded = np.concatenate([leaf, np.ones((len(leaf), 1), dtype=bool)], axis=1)
        return padded[:, self.term_leaves].all(axis=2)

    @staticmethod
    def _asked_in(
        findings: tuple[str, ...],
        grouping: tuple[np.ndarray, np.ndarray],
        open_: dict[str, np.ndarray],
        terms: np.ndarray,
    ) -> np.ndarray:
        rows, starts = grouping
        ends = [*starts[1:].tolist(), len(rows)]
        out = np.zeros((len(terms), len(findings)), dtype=bool)
        for i, finding in enumerate(findings):
            has = rows[starts[i] : ends[i]]  # the terms testing it
            out[:, i] = open_[finding] & terms[:, has].any(axis=1)
        return out


def _grouped(mask: np.ndarray, grouping: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``(G, n)``: the ``any`` of each group of ``mask``'s rows (see :func:`grouped_any`)."""
    rows, starts = grouping
    if len(starts) == 0:
        return np.zeros((0, mask.shape[1]), dtype=bool)
    return np.logical_or.reduceat(mask[rows], starts, axis=0)


@cache
def screen() -> Screen:
    """The packaged rules as a screen."""
    return build_screen(rule_set())


def build_screen(rules: RuleSet) -> Screen:
    """The screen of a set of rules."""
    compiled = rules.compiled
    leaves = compiled.leaves
    member = np.zeros((len(compiled.term_owner), len(leaves)), dtype=bool)
    for t, row in enumerate(compiled.term_leaves):
        member[t, row[row < len(leaves)]] = True
    term_rank = np.array([int(rules.ranks[r]) for r in compiled.term_owner], dtype=np.int64)
    findings = tuple(leaf_finding(leaf) for leaf in leaves)
    # A leaf that holds while its finding is unknown ("unknown or <") asks nothing first.
    answered = np.array([not _holds_unknown(leaf) for leaf in leaves], dtype=bool)
    tested = set(findings)
    on_list, urgency = _listed_and_urgency(member, answered, findings, term_rank)

    def ranked(names: set[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=lambda f: (-urgency[f], FIELD_NAMES.index(f))))

    checks = tuple(compile_condition(leaf, f"screen leaf {_key(leaf)}") for leaf in leaves)
    bank = knowledge.question_bank().questions
    missing = [f for f in on_list if not (bank.get(f) and bank[f].item)]
    if missing:
        raise RuleError(f"questions.yaml: no checklist item for {sorted(missing)}")
    groups = _grouped_checklist(on_list, urgency)
    checklist = tuple(f for _, members in groups for f in members)
    follow_up = ranked(tested - on_list)
    distinct = tuple(dict.fromkeys(findings))
    position = {f: j for j, f in enumerate(distinct)}

    def terms_testing(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        tests = [member[:, _on(findings, f)].any(axis=1) for f in names]
        return grouped_any(member, [np.flatnonzero(t).tolist() for t in tests])

    return Screen(
        leaves,
        checks,
        findings,
        member,
        compiled.term_leaves,
        term_rank,
        checklist,
        follow_up,
        groups,
        compiled,
        distinct,
        np.array([FIELD_NAMES.index(f) for f in distinct], dtype=np.int64),
        np.array([position[f] for f in findings], dtype=np.int64),
        np.array([f in checklist for f in findings], dtype=bool),
        np.array([position[f] for f in checklist], dtype=np.int64),
        np.array([position[f] for f in follow_up], dtype=np.int64),
        terms_testing(checklist),
        terms_testing(follow_up),
        grouped_any(member, [np.flatnonzero(_on(findings, f)).tolist() for f in distinct]),
        position,
        frozenset(checklist),
    )


def _listed_and_urgency(
    member: np.ndarray, answered: np.ndarray, findings: tuple[str, ...], term_rank: np.ndarray
) -> tuple[set[str], dict[str, int]]:
    """The findings the checklist asks (every yes/no finding, and an enum that alone decides a
    rule's term), and each tested finding's urgency (the highest rank of a rule testing it)."""
    needed = (member & answered[None, :]).sum(axis=1)
    alone = {findings[j] for j in range(len(findings)) if (member[:, j] & (needed == 1)).any()}
    tested = set(findings)
    on_list = {
        f for f in tested if FIELDS[f].kind == "bool" or (FIELDS[f].kind == "enum" and f in alone)
    }
    urgency = {
        f: max(term_rank[member[:, [j for j, g in enumerate(findings) if g == f]].any(axis=1)])
        for f in tested
    }
    return on_list, urgency


def _on(findings: tuple[str, ...], finding: str) -> np.ndarray:
    return np.array([f == finding for f in findings], dtype=bool)


def _key(leaf: dict[str, Any]) -> str:
    return json.dumps(leaf, sort_keys=True)


def _grouped_checklist(
    on_list: set[str], urgency: dict[str, int]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
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
