""" "This doesn't look like the article's causes": a presentation's distance from all five.

The generator is an exact model of the article's world: for each cause, P(answer | cause) of
every finding that depends on the cause. The model file's ``typicality`` section (written by
the train stage from ``generator.yaml``) holds, per finding and answer, its cost under each
cause: how many times less likely it is than the cause's most likely answer, in nats
(log P(mode | c) - log P(answer | c)). A presentation's score is the least, over the causes,
of its answers' total cost: the log-likelihood ratio of what was told against the most
typical answers to the same questions, under the cause that explains it best. Unanswered
findings cost nothing, and answers that are equally likely under every cause (a minor fall,
which drives a red-flag rule) are not in the table.

A case whose score reaches the file's ``threshold`` (calibrated so that a stated share of
held-out plain cases reach it; ``params.yaml``, ``typicality``) is *unusual*: the assessment
names no cause, shows no cause's advice, says so in plain words, and the triage has a floor
(:data:`FLOOR`; 24 hours when the pain is severe and sudden).

Monotone by construction: every cost is at least 0, so adding an answer can only raise each
cause's total and so the least of them; a case that is unusual stays unusual as answers are
added, and the floor never falls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np

from backclf.contract.columns import Columns
from backclf.contract.fields import FIELDS
from backclf.core.conditions import ConditionSet, Intervals, bin_interval, small_batch_values
from backclf.core.model import ReadableModel
from backclf.core.model_file import Typicality
from backclf.core.red_flags import compile_condition
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

#: The least triage of an unusual presentation, and the level when the pain is severe and
#: sudden (issue 25: a presentation the article does not explain needs a doctor to explain it).
FLOOR = "consultation"
FLOOR_SEVERE = "consultation_24"
SEVERE_AND_SUDDEN = {"all": [{"pain_severity": {">=": 7}}, {"onset": "sudden"}]}


Table = tuple[str, np.ndarray, np.ndarray, np.ndarray]
#: Rows scored at a time (bounds the ``(rows, answers, causes)`` array of costs).
_BLOCK = 8192


@dataclass(frozen=True, eq=False)
class Answers:
    """Every answer of every finding of a typicality section, compiled once per model: where
    each holds (:class:`~backclf.core.conditions.Intervals`), its costs ``(A, K)``, and the
    groups of answers of which at most one can hold (a finding's answers, when its bins do
    not overlap and its codes differ; otherwise each answer alone)."""

    tests: Intervals
    cost: np.ndarray  # (A + 1, K): row 0 is "no answer", costing nothing
    starts: np.ndarray  # (G,) each group's first answer

    @classmethod
    def of(cls, tables: tuple[Table, ...]) -> Answers:
        intervals, costs, starts = [], [], []
        for finding, low, high, cost in tables:
            bounds = []
            for a in range(len(low)):
                if FIELDS[finding].numeric:
                    bounds.append(bin_interval(low[a], high[a]))
                else:
                    bounds.append((float(low[a]), float(low[a])))
                intervals.append((finding, *bounds[-1], False))
                costs.append(cost[a])
            first = len(intervals) - len(bounds)
            ordered = sorted(bounds)
            apart = all(hi < lo for (_, hi), (lo, _) in pairwise(ordered))
            starts.extend([first] if apart and bounds else range(first, len(intervals)))
        cost_rows = np.array(costs, dtype=np.float64).reshape(len(costs), len(CAUSE_IDS))
        return cls(
            Intervals.of(intervals),
            np.vstack([np.zeros((1, len(CAUSE_IDS))), cost_rows]),
            np.array(starts, dtype=np.int64),
        )

    def scores(self, values: np.ndarray) -> np.ndarray:
        """``(n,)``: each case's least total cost over the causes. The costs of the answers
        given are added one group after another in the section's order (``cumsum``: each
        sum is the last plus the next), with 0 for a group with no answer given (adding 0
        changes no sum), so every total is the same float as adding only the answers given,
        one at a time in the section's order."""
        out = np.zeros(len(values))
        if len(self.starts) == 0:
            return out
        number = np.arange(1, len(self.cost), dtype=np.int64)  # each answer's row in cost
        for start in range(0, len(values), _BLOCK):
            block = values[start : start + _BLOCK]
            given = np.where(self.tests.holds_by_test(block), number[:, None], 0)  # (A, b)
            row = np.maximum.reduceat(given, self.starts, axis=0)  # (G, b): 0 or the answer
            total = np.cumsum(self.cost[row], axis=0)[-1]  # (b, K)
            out[start : start + len(block)] = total.min(axis=1)
        return out


@cache
def _tables(model: ReadableModel) -> tuple[Table, ...]:
    section = model.file.typicality
    return () if section is None else compile_section(section)


@cache
def _answers(model: ReadableModel) -> Answers:
    return Answers.of(_tables(model))


def compile_section(section: Typicality) -> tuple[Table, ...]:
    """Per finding: its name, the answers' codes (or bins' lows), highs, and costs (A, K)."""
    out = []
    for entry in section.findings:
        numeric = FIELDS[entry.finding].numeric
        low = np.array([a.low if numeric else a.code for a in entry.answers], dtype=np.float64)
        high = np.array([a.high if numeric else np.nan for a in entry.answers], dtype=np.float64)
        cost = np.array([[a.cost[c] for c in CAUSE_IDS] for a in entry.answers])
        out.append((entry.finding, low, high, cost))
    return tuple(out)


def scores(
    model: ReadableModel, columns: Columns, values: np.ndarray | None = None
) -> np.ndarray:
    """``(n,)``: each case's least total cost over the causes (0 without a typicality
    section). ``values``: a small batch's :func:`~backclf.core.conditions.finding_values`."""
    if values is None:
        values = small_batch_values(columns)
    if values is not None:
        return _answers(model).scores(values)
    return table_scores(_tables(model), columns)


def table_scores(tables: tuple[Table, ...], columns: Columns) -> np.ndarray:
    """``(n,)``: :func:`scores` over compiled tables, one finding's cases at a time (the
    answers' costs added in the section's order, as :meth:`Answers.scores` adds them)."""
    n = len(next(iter(columns.values())))
    total = np.zeros((n, len(CAUSE_IDS)))
    for finding, low, high, cost in tables:
        col = columns[finding]
        numeric = FIELDS[finding].numeric
        given = _given(col, low, high, numeric)
        if given is not None:  # one look-up and one sum for the finding
            total += np.take(np.vstack([np.zeros((1, len(CAUSE_IDS))), cost]), given, axis=0)
            continue
        for a in range(len(low)):
            total[_holds(col, low[a], high[a], numeric)] += cost[a]
    least = np.full(n, np.inf)  # the least over the causes, a cause at a time (exact)
    for k in range(total.shape[1]):
        np.minimum(least, total[:, k], out=least)
    return least


def _holds(col: np.ndarray, low: float, high: float, numeric: bool) -> np.ndarray:
    if not numeric:
        return col == low
    with np.errstate(invalid="ignore"):
        return (col >= low) & (col < high)


def _given(col: np.ndarray, low: np.ndarray, high: np.ndarray, numeric: bool) -> np.ndarray | None:
    """``(n,)``: per case, 0 (no answer) or ``a + 1`` (answer ``a`` holds); ``None`` when more
    than one answer can hold. With at most one, adding each case's answer's costs, or a row of
    zeros (costs are at least 0, and ``c + 0.0 == c``), gives the same floats as adding each
    answer's costs to its cases in turn."""
    if not numeric:
        codes = low.astype(np.int64)
        if len(set(codes.tolist())) < len(codes) or col.dtype != np.int8:
            return None
        if np.any(codes != low) or np.any((codes < -128) | (codes > 127)):
            return None
        table = np.zeros(256, dtype=np.intp)  # code -> answer number, by the code's byte
        table[codes.astype(np.int8).view(np.uint8)] = np.arange(1, len(codes) + 1)
        return np.take(table, col.view(np.uint8))
    order = np.argsort(low, kind="stable")
    if not np.all(high[order][:-1] <= low[order][1:]):
        return None
    given = np.zeros(len(col), dtype=np.intp)
    for a in range(len(low)):
        given[_holds(col, low[a], high[a], numeric)] = a + 1
    return given


@cache
def _severe_and_sudden() -> ConditionSet:
    compile_condition(SEVERE_AND_SUDDEN, "typicality floor")  # checks it
    return ConditionSet.of([SEVERE_AND_SUDDEN])


def unusual(
    model: ReadableModel, columns: Columns, values: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(n,)`` bool: unusual cases; ``(n,)`` their floor's triage rank (0 elsewhere)."""
    section = model.file.typicality
    n = len(next(iter(columns.values())))
    if section is None:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    if values is None:
        values = small_batch_values(columns)
    odd = scores(model, columns, values) >= section.threshold
    if values is None:
        severe = compile_condition(SEVERE_AND_SUDDEN, "typicality floor")(columns)
    else:
        severe = _severe_and_sudden().holds(values)[:, 0]
    rank = np.where(
        odd,
        np.where(severe, TRIAGE_LEVELS.index(FLOOR_SEVERE), TRIAGE_LEVELS.index(FLOOR)),
        0,
    )
    return odd, rank
