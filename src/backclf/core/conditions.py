"""Conditions on findings compiled once, then tested over a batch in a few array operations.

Every leaf a rule, a skip condition, a model feature or a typicality answer tests is an
interval of one finding's value, once the findings are read as one ``float64`` matrix with
NaN for unknown (:func:`finding_values`; a yes/no or a choice is its code, unknown -1 becomes
NaN):

- ``fever: true`` is ``1 <= v <= 1``, ``trigger: minor_fall_or_bump`` its code ``c <= v <= c``;
- ``age >= 70`` is ``70 <= v <= inf``, ``age <= 11`` is ``-inf <= v <= 11``;
- ``age > 70`` is ``next(70) <= v`` and ``v < 90`` is ``v <= previous(90)``, with ``next``
  and ``previous`` the neighbouring float64 values (``np.nextafter``): no float64 lies between
  a bound and its neighbour, so for any float64 ``v`` the two tests agree exactly;
- a feature's or a typicality answer's bin ``[low, high)`` is ``low <= v <= previous(high)``;
- ``unknown or < 90`` (:data:`backclf.core.red_flags.OR_UNKNOWN`) is ``v <= previous(90)``
  or NaN.

NaN fails both comparisons, so an unknown finding satisfies no leaf but the "unknown or"
ones, exactly as :func:`backclf.core.red_flags.compile_condition`'s checks (which stay the
reference, and the validation of every rule). A condition (``any``/``all`` of leaves) holds
where all leaves of one of its terms hold (:func:`condition_terms`: the same sets of leaves
the safety screen asks by). So a whole rules file is tested in a fixed number of array
operations whatever the number of rules or cases: one case costs what the arrays cost to set
up, not a Python loop over the rules (issue 27).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backclf.contract.columns import Columns
from backclf.contract.fields import FIELD_NAMES, FIELDS

#: A rule that expands into more terms than this is not one a person could read.
MAX_TERMS = 4096
#: The prefix of the one comparison that holds while its finding is unknown (red_flags.yaml).
OR_UNKNOWN = "unknown or "
#: Each finding's column in :func:`finding_values`.
COLUMN = {name: j for j, name in enumerate(FIELD_NAMES)}
_CODED = np.array([not FIELDS[name].numeric for name in FIELD_NAMES])


class RuleError(ValueError):
    """A rule (in red_flags.yaml, or a condition in questions.yaml) that does not fit the
    contract."""


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


#: Batches of up to this many cases are tested through one matrix of all their findings (a
#: fixed number of array operations: what one case costs is what the arrays cost to set up);
#: larger ones one finding's column at a time, as the rules are written (each operation then
#: runs over many cases, and the matrix would cost more memory traffic than it saves). Both
#: give the same booleans (tests/test_conditions.py). Assumption: the crossover, measured on
#: the development machine (benchmarks/bench_single.py and the JSON Lines and Parquet rates).
SMALL_BATCH = 256


def batch_size(columns: Columns) -> int:
    return len(next(iter(columns.values())))


def small_batch_values(columns: Columns) -> np.ndarray | None:
    """:func:`finding_values` for a small batch (see :data:`SMALL_BATCH`), else ``None``."""
    return finding_values(columns) if batch_size(columns) <= SMALL_BATCH else None


def finding_values(columns: Columns) -> np.ndarray:
    """``(n, len(FIELD_NAMES))`` float64: every finding of a batch, NaN where unknown (codes
    as numbers). One array per batch, read by every compiled test. It is the transpose of a
    C-ordered ``(findings, n)`` array: the tests below read ``values.T``, whole rows of cases
    at a time, which keeps large batches as fast as one array operation per column."""
    by_finding = np.array([columns[name] for name in FIELD_NAMES], dtype=np.float64)
    unknown = by_finding < 0
    unknown &= _CODED[:, None]
    by_finding[unknown] = np.nan
    return by_finding.T


def leaf_interval(leaf: dict[str, Any]) -> tuple[str, float, float, bool]:
    """A checked leaf as ``(finding, low, high, or_unknown)``: it holds where ``low <= v <=
    high``, or (``or_unknown``) where the finding is unknown."""
    ((finding, arg),) = leaf.items()
    spec = FIELDS[finding]
    if isinstance(arg, dict):
        ((op, bound),) = arg.items()
        or_unknown = op.startswith(OR_UNKNOWN)
        b = float(bound)
        low, high = {
            ">=": (b, np.inf),
            ">": (np.nextafter(b, np.inf), np.inf),
            "<=": (-np.inf, b),
            "<": (-np.inf, np.nextafter(b, -np.inf)),
        }[op.removeprefix(OR_UNKNOWN)]
        return finding, float(low), float(high), or_unknown
    code = 1.0 if spec.kind == "bool" else float(spec.values.index(arg))
    return finding, code, code, False


def bin_interval(low: float, high: float) -> tuple[float, float]:
    """The closed interval of the half-open bin ``[low, high)``."""
    return float(low), float(np.nextafter(float(high), -np.inf))


@dataclass(frozen=True, eq=False)
class Intervals:
    """Intervals of findings' values, tested together: ``(n, L)`` from the values matrix."""

    findings: tuple[str, ...]  # (L,) the finding each test reads
    column: np.ndarray  # (L,) its column in finding_values
    low: np.ndarray  # (L,)
    high: np.ndarray  # (L,)
    or_unknown: np.ndarray | None  # (L,) bool, None when no test holds on unknown

    @classmethod
    def of(cls, intervals: Sequence[tuple[str, float, float, bool]]) -> Intervals:
        findings = tuple(f for f, _, _, _ in intervals)
        unknown_ok = np.array([u for _, _, _, u in intervals], dtype=bool)
        return cls(
            findings,
            np.array([COLUMN[f] for f in findings], dtype=np.int64),
            np.array([lo for _, lo, _, _ in intervals], dtype=np.float64),
            np.array([hi for _, _, hi, _ in intervals], dtype=np.float64),
            unknown_ok if unknown_ok.any() else None,
        )

    def holds_by_test(self, values: np.ndarray) -> np.ndarray:
        """``(L, n)`` bool: where each test holds (one row per test)."""
        v = values.T[self.column]
        out = v >= self.low[:, None]
        out &= v <= self.high[:, None]
        if self.or_unknown is not None:
            out |= np.isnan(v) & self.or_unknown[:, None]
        return out

    def holds(self, values: np.ndarray) -> np.ndarray:
        """``(n, L)`` bool: where each test holds."""
        return self.holds_by_test(values).T

    def known_by_test(self, values: np.ndarray) -> np.ndarray:
        """``(L, n)`` bool: where each test's finding is known."""
        return ~np.isnan(values.T[self.column])


@dataclass(frozen=True, eq=False)
class ConditionSet:
    """Conditions (``any``/``all`` of leaves) compiled for batches: their distinct leaves as
    :class:`Intervals`, and each condition's terms over them."""

    leaves: tuple[dict[str, Any], ...]  # (L,) distinct leaves
    tests: Intervals
    term_leaves: np.ndarray  # (T, M) each term's leaves, padded with L (a leaf that holds)
    term_owner: np.ndarray  # (T,) the condition each term belongs to
    starts: np.ndarray  # (C,) each condition's first term (terms are in condition order)

    @classmethod
    def of(cls, conditions: Sequence[dict[str, Any]]) -> ConditionSet:
        """Compile checked conditions (see :func:`~backclf.core.red_flags.compile_condition`,
        which checks them)."""
        leaves: dict[str, dict[str, Any]] = {}
        terms: list[tuple[int, list[int]]] = []
        for c, condition in enumerate(conditions):
            for term in condition_terms(condition):
                keys = []
                for leaf in term:
                    key = json.dumps(leaf, sort_keys=True)
                    leaves.setdefault(key, leaf)
                    keys.append(key)
                terms.append((c, keys))
        order = {key: j for j, key in enumerate(leaves)}
        widest = max((len(keys) for _, keys in terms), default=0)
        term_leaves = np.full((len(terms), widest), len(order), dtype=np.int64)
        for t, (_, keys) in enumerate(terms):
            term_leaves[t, : len(keys)] = [order[k] for k in keys]
        owner = np.array([c for c, _ in terms], dtype=np.int64)
        starts = np.searchsorted(owner, np.arange(len(conditions)))
        return cls(
            tuple(leaves.values()),
            Intervals.of([leaf_interval(leaf) for leaf in leaves.values()]),
            term_leaves,
            owner,
            starts,
        )

    def __len__(self) -> int:
        return len(self.starts)

    def holds(self, values: np.ndarray) -> np.ndarray:
        """``(n, C)`` bool: where each condition holds."""
        return self.from_leaves(self.tests.holds_by_test(values)).T

    def terms(self, leaf: np.ndarray) -> np.ndarray:
        """``(T, n)``: where ``leaf[j]`` (``(L, n)``) holds for every leaf ``j`` of a term."""
        padded = np.concatenate([leaf, np.ones((1, leaf.shape[1]), dtype=bool)], axis=0)
        return padded[self.term_leaves].all(axis=1)

    def from_leaves(self, leaf: np.ndarray) -> np.ndarray:
        """``(C, n)``: the conditions, from where each leaf holds (``(L, n)``)."""
        if len(self.starts) == 0:
            return np.zeros((0, leaf.shape[1]), dtype=bool)
        return np.logical_or.reduceat(self.terms(leaf), self.starts, axis=0)
