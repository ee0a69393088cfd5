"""The model's part of the triage, monotone in every red flag by construction.

The triage is the most urgent of the red-flag rules that fire and the model's level: the
article's default level of each cause the model considers (probability at least
``consider_above``, or the most probable), which in practice is pyelonephritis at
``consultation_24``. Rules are positive, so a finding added can only make more of them fire;
a probability is not: an added finding can move it either way (``{"sex": "female",
"painful_urination": true}`` considers a kidney infection; adding ``"age": 50,
"days_since_onset": 30``, which fires ``not_improving_after_50``, used to drop it below
``consider_above`` and the triage with it).

So the model's level reads the case through :func:`escalation_view`: a finding whose value
satisfies a leaf of some red-flag rule (a "yes" to any checklist item, age 70, pain for 30
days, ...) is read as unknown, unless every feature it sets can only raise each escalating
cause against every other cause (the feature's weight for that cause is above its weight for
each other cause: :func:`raising_features`); those are kept.

Why that is monotone: add a finding ``f`` whose value satisfies a leaf (the only way to make
a rule fire, and what every checklist "yes" is). Either its features cannot only raise, and
the view is unchanged (``f`` is read as unknown there); or they can only raise, and every
escalating cause's logit rises against every other, so its probability rises and the most
probable cause stays the most probable: what was considered stays considered. Findings implied
by others (fever from a temperature) are treated with their sources. A "no", or a value no rule
tests (a lifting trigger), may still lower the suspicion: that is why they are asked.

The differential, the named cause and the explanation use the model on the whole case; only
the level reads the view. A tree model has no weights to check, so it reads every finding that
satisfies a leaf as unknown.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns
from backclf.contract.conflicts import IMPLICATIONS
from backclf.core.conditions import batch_size, small_batch_values
from backclf.core.model import LinearModel, ReadableModel
from backclf.core.screen import screen
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

#: A feature "can only raise" a cause when its weight for it beats every other cause's by more
#: than this (log-odds): equal weights change nothing, and rounding must not decide.
MARGIN = 1e-9


@cache
def default_ranks() -> np.ndarray:
    """``(K,)``: the article's default triage rank of each cause."""
    article = knowledge.article()
    return np.array([TRIAGE_LEVELS.index(article.cause(c).default_triage) for c in CAUSE_IDS])


@cache
def raising_features(model: ReadableModel) -> np.ndarray:
    """``(F,)`` bool: the features whose presence can only raise every escalating cause (one
    whose default level is above self-care) against every other cause."""
    escalating = np.flatnonzero(default_ranks() > 0)
    if not isinstance(model, LinearModel) or len(escalating) == 0:
        return np.zeros(len(model.features), dtype=bool)
    w = model.weights / model.scale  # the temperature divides every logit alike
    out = np.ones(w.shape[1], dtype=bool)
    for k in escalating:
        others = np.delete(w, k, axis=0)
        out &= (w[k][None, :] - others > MARGIN).all(axis=0)
    return out


@cache
def _implied() -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """Built once: the findings :func:`leaf_findings` marks (the screen's, then the sources
    of the derivations that fill them: the temperature for fever, ...), and the derivations
    as ``(source, finding)`` column pairs, applied in order."""
    s = screen()
    names = list(s.findings)
    pairs = []
    for rule in (r for r in IMPLICATIONS if r.fills_unknown):  # fever from 38.0 C, ...
        if rule.finding in names:
            for source in rule.sources:
                if source not in names:
                    names.append(source)
                pairs.append((names.index(source), names.index(rule.finding)))
    return tuple(names), tuple(pairs)


def satisfied_findings(values: np.ndarray) -> np.ndarray:
    """``(n, len(_implied()[0]))`` bool: :func:`leaf_findings` as one matrix (the transpose
    of a C-ordered one)."""
    s = screen()
    names, pairs = _implied()
    tests = s.conditions.tests
    satisfied = tests.holds_by_test(values) & tests.known_by_test(values)  # (L, n)
    marked = np.zeros((len(names), len(values)), dtype=bool)
    columns, starts = s.finding_leaves
    if len(starts):
        marked[: len(s.findings)] = np.logical_or.reduceat(satisfied[columns], starts, axis=0)
    for source, finding in pairs:
        marked[source] |= marked[finding]
    return marked.T


def leaf_findings(columns: Columns, values: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per finding, the cases whose value satisfies a leaf of some red-flag rule (for a
    finding implied by others, its sources too). ``values``: a small batch's
    :func:`~backclf.core.conditions.finding_values` (then read as :func:`satisfied_findings`)."""
    if values is not None:
        marked = satisfied_findings(values)
        return {f: marked[:, j] for j, f in enumerate(_implied()[0])}
    s = screen()
    n = batch_size(columns)
    out: dict[str, np.ndarray] = {}
    for finding, check in zip(s.leaf_findings, s.checks, strict=True):
        holds = check(columns) & _known(columns[finding])
        out[finding] = out.get(finding, np.zeros(n, dtype=bool)) | holds
    for rule in (r for r in IMPLICATIONS if r.fills_unknown):  # fever from 38.0 C, ...
        if rule.finding in out:
            for source in rule.sources:
                out[source] = out.get(source, np.zeros(n, dtype=bool)) | out[rule.finding]
    return out


def _known(col: np.ndarray) -> np.ndarray:
    return ~np.isnan(col) if col.dtype.kind == "f" else col >= 0


@cache
def _cleared(model: ReadableModel) -> np.ndarray:
    """``(F,)``: per feature, the column of :func:`satisfied_findings` that clears it in the
    view, or -1 (a feature that can only raise, or whose finding no leaf tests)."""
    names = _implied()[0]
    keep = raising_features(model)
    return np.array(
        [
            -1 if keep[j] or feature.finding not in names else names.index(feature.finding)
            for j, feature in enumerate(model.features)
        ],
        dtype=np.int64,
    )


def escalation_view(
    model: ReadableModel, columns: Columns, x: np.ndarray, values: np.ndarray | None = None
) -> np.ndarray:
    """The features the model's level reads (see the module's docstring)."""
    if values is None:
        values = small_batch_values(columns)
    if values is None:  # a large batch: one feature's cases at a time
        keep = raising_features(model)
        view = x
        satisfied = leaf_findings(columns)
        for j, feature in enumerate(model.features):
            if keep[j] or feature.finding not in satisfied:
                continue
            rows = satisfied[feature.finding] & (x[:, j] != 0)
            if rows.any():
                if view is x:
                    view = x.copy()
                view[rows, j] = 0.0
        return view
    marked = satisfied_findings(values).T
    cleared = _cleared(model)
    clear = (cleared >= 0) & (x != 0)
    clear &= marked[np.maximum(cleared, 0)].T
    if not clear.any():
        return x
    return np.where(clear, 0.0, x)


def _changed_rows(
    model: ReadableModel, columns: Columns, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A large batch's rows that :func:`escalation_view` changes, and the view's values
    there: the same rows and values as ``view[changed]``, without copying or comparing the
    whole ``x`` (each feature is read as a row of the transposed matrix, not a column)."""
    keep = raising_features(model)
    satisfied = leaf_findings(columns)
    present = np.ascontiguousarray((x != 0).T)  # (F, n)
    clears = []
    for j, feature in enumerate(model.features):
        if not keep[j] and feature.finding in satisfied:
            rows = satisfied[feature.finding] & present[j]
            if rows.any():
                clears.append((j, rows))
    if not clears:
        return np.zeros(0, dtype=np.intp), x[:0]
    changed = np.flatnonzero(np.logical_or.reduce([rows for _, rows in clears]))
    view = x[changed]
    for j, rows in clears:
        view[rows[changed], j] = 0.0
    return changed, view


def model_levels(
    model: ReadableModel,
    columns: Columns,
    x: np.ndarray,
    proba: np.ndarray,
    values: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(n,)`` the model's triage rank and ``(n, K)`` the causes that set it (escalating
    causes the model considers on :func:`escalation_view`)."""
    if values is None:
        values = small_batch_values(columns)
    if values is None:  # a large batch: only the changed rows of the view are built
        changed, changed_view = _changed_rows(model, columns, x)
    else:
        view = escalation_view(model, columns, x, values)
        changed = np.flatnonzero((view != x).any(axis=1)) if view is not x else np.zeros(0, int)
        changed_view = view[changed]
    seen = proba
    if len(changed):
        seen = proba.copy()
        seen[changed] = model.predict_proba(changed_view)
    considered = seen >= model.consider_above
    considered[np.arange(len(seen)), seen.argmax(axis=1)] = True
    raised = considered & (default_ranks() > 0)[None, :]
    rank = np.where(raised, default_ranks()[None, :], 0).max(axis=1, initial=0)
    return rank, raised
