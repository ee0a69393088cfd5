"""The red-flag rule engine: ``red_flags.yaml`` compiled to vectorised checks over columns.

Conditions are positive (no negation) and an unknown finding satisfies no leaf, so adding a
finding can only make more rules fire. Rules are checked when loaded: every finding name
and value must exist in the contract.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns
from backclf.contract.fields import FIELDS
from backclf.core.conditions import (
    OR_UNKNOWN,
    SMALL_BATCH,
    ConditionSet,
    RuleError,
    batch_size,
    small_batch_values,
)
from backclf.knowledge import TRIAGE_LEVELS, RedFlagRule

Check = Callable[[Columns], np.ndarray]
COMPARISONS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
# OR_UNKNOWN ("unknown or <"), from backclf.core.conditions: the one comparison that holds
# while its finding is unknown, a red flag that counts until an answer rules it out (see
# red_flags.yaml). Adding that answer is the only way a known finding can stop a rule firing.


def compile_condition(condition: dict[str, Any], where: str = "rule") -> Check:
    """A function from columns to a boolean mask, for one declarative condition."""
    if not isinstance(condition, dict) or len(condition) != 1:
        raise RuleError(
            f"{where}: a condition is a mapping with exactly one key, got {condition!r}"
        )
    ((key, arg),) = condition.items()
    if key in ("all", "any"):
        if not isinstance(arg, list) or not arg:
            raise RuleError(f"{where}: '{key}' takes a non-empty list")
        parts = [compile_condition(c, f"{where}.{key}[{i}]") for i, c in enumerate(arg)]
        combine = np.logical_and if key == "all" else np.logical_or
        return lambda cols: combine.reduce([part(cols) for part in parts])
    if key not in FIELDS:
        raise RuleError(f"{where}: unknown finding {key!r}")
    spec = FIELDS[key]
    if isinstance(arg, dict):
        if spec.kind not in ("int", "float") or len(arg) != 1:
            raise RuleError(f"{where}: comparisons take one operator on a number, got {arg!r}")
        ((op, bound),) = arg.items()
        or_unknown = op.startswith(OR_UNKNOWN)
        op = op.removeprefix(OR_UNKNOWN)
        if op not in COMPARISONS:
            raise RuleError(f"{where}: operator must be one of {list(COMPARISONS)}")
        compare = COMPARISONS[op]
        if or_unknown:
            return lambda cols: _nan_true(compare, cols[key], float(bound))
        return lambda cols: _nan_false(compare, cols[key], float(bound))
    if spec.kind == "bool":
        if arg is not True:
            raise RuleError(f"{where}: rules test findings that are present ({key}: true)")
        return lambda cols: cols[key] == 1
    if spec.kind == "enum":
        if arg not in spec.values:
            raise RuleError(f"{where}: {key} has no value {arg!r}")
        code = spec.values.index(arg)
        return lambda cols: cols[key] == code
    raise RuleError(f"{where}: compare numbers with an operator, e.g. {{{key}: {{'>=': 1}}}}")


def _nan_false(compare: Callable, values: np.ndarray, bound: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return compare(values, bound) & ~np.isnan(values)


def _nan_true(compare: Callable, values: np.ndarray, bound: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return compare(values, bound) | np.isnan(values)


@dataclass(frozen=True)
class RuleSet:
    """Checked rules. ``checks`` are each rule's condition as a function (the reference, and
    what checked the rule); :meth:`fired` tests all of them at once (:attr:`compiled`)."""

    rules: tuple[RedFlagRule, ...]
    checks: tuple[Check, ...]
    ranks: np.ndarray  # each rule's triage rank (index into TRIAGE_LEVELS)

    @cached_property
    def compiled(self) -> ConditionSet:
        """The rules' conditions compiled for batches, built once per rule set."""
        return ConditionSet.of([rule.when for rule in self.rules])

    def fired(self, columns: Columns, values: np.ndarray | None = None) -> np.ndarray:
        """``(n, n_rules)`` boolean: which rules fire for each case. ``values``: the batch's
        :func:`~backclf.core.conditions.finding_values` (a small batch's, see
        :data:`~backclf.core.conditions.SMALL_BATCH`), if already read."""
        if values is None:
            values = small_batch_values(columns)
        if values is not None:
            return np.ascontiguousarray(self.compiled.holds(values))
        n = batch_size(columns)
        if not self.checks:
            return np.zeros((n, 0), dtype=bool)
        stacked = np.column_stack([check(columns) for check in self.checks])
        return stacked.reshape(n, len(self.checks))

    def rank(self, fired: np.ndarray) -> np.ndarray:
        """The most urgent fired rule's rank per case (-1 where none fires)."""
        if len(fired) <= SMALL_BATCH:
            return np.where(fired, self.ranks[None, :], -1).max(axis=1, initial=-1)
        # A large batch: the rules of each rank together, least urgent first (the same
        # integers, without an (n, rules) array of ranks reduced along its short axis).
        by_rule = np.ascontiguousarray(fired.T)
        out = np.full(len(fired), -1, dtype=self.ranks.dtype)
        for rank in np.unique(self.ranks):
            out[np.logical_or.reduce(by_rule[self.ranks == rank], axis=0)] = rank
        return out


@cache
def infection_signs() -> Check:
    """The cases showing a sign of the kidney-infection picture (red_flags.yaml's
    ``pyelonephritis_picture``: fever, chills, urinary symptoms, tenderness over a kidney)."""
    picture = knowledge.red_flag_rules().pyelonephritis_picture
    return compile_condition(picture, "red_flags.yaml pyelonephritis_picture")


@cache
def _infection_picture() -> ConditionSet:
    infection_signs()  # checks the condition
    return ConditionSet.of([knowledge.red_flag_rules().pyelonephritis_picture])


def infection_sign(columns: Columns, values: np.ndarray | None = None) -> np.ndarray:
    """``(n,)`` bool: :func:`infection_signs`, through the compiled picture for a small
    batch's :func:`~backclf.core.conditions.finding_values`."""
    if values is None:
        return infection_signs()(columns)
    return _infection_picture().holds(values)[:, 0]


@cache
def rule_set() -> RuleSet:
    """The packaged rules, compiled and checked."""
    rules = tuple(knowledge.red_flag_rules().rules)
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RuleError("rule ids must be unique")
    checks = tuple(compile_condition(r.when, r.id) for r in rules)
    ranks = np.array([TRIAGE_LEVELS.index(r.level) for r in rules], dtype=np.int64)
    return RuleSet(rules, checks, ranks)
