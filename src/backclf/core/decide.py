"""The one decision path: findings in, assessment out.

:func:`assess_batch` is the only place where a decision is made: red-flag rules, the model's
differential, abstention, triage, explanation and advice. :func:`assess` (one case),
:func:`assess_many` (a list), the CLI (flags, JSON Lines, tables, text) and the MLflow model
are adapters around it, so the red-flag override cannot be bypassed. No argument, option or
environment variable turns the rules off.

Triage is the most urgent of (a) every red flag that fires and (b) the model's level: the
article's default for every cause whose probability reaches ``consider_above`` (so a likely
infection is not missed because a mechanical cause is a little likelier).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from backclf import SCHEMA_VERSION, __version__, knowledge
from backclf.contract.columns import Columns, from_cases
from backclf.contract.findings import FIELDS, Case
from backclf.core.model import ReadableModel, load_model
from backclf.core.red_flags import rule_set
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

if TYPE_CHECKING:  # the output models are built only where a typed result is asked for
    from backclf.contract.assessment import Assessment

EXPLANATION_SIZE = 6


@dataclass
class Decisions:
    """The decisions for a batch of cases, as arrays (row ``i`` is case ``i``)."""

    proba: np.ndarray  # (n, K) calibrated differential
    chosen: np.ndarray  # (n,) index of the most probable cause
    abstained: np.ndarray  # (n,) bool: top probability under the model's threshold
    fired: np.ndarray  # (n, R) bool: red-flag rules that fire
    level: np.ndarray  # (n,) triage rank (index into TRIAGE_LEVELS)
    overridden: np.ndarray  # (n,) bool: a red flag set the level
    x: np.ndarray  # (n, F) features
    model: ReadableModel

    def __len__(self) -> int:
        return len(self.chosen)

    @cached_property
    def effects(self) -> np.ndarray:
        """(n, F) signed effect of each feature on the chosen cause (computed when asked)."""
        return self.model.effects(self.x, self.proba, self.chosen)


@cache
def _cause_default_ranks() -> np.ndarray:
    article = knowledge.article()
    return np.array([TRIAGE_LEVELS.index(article.cause(c).default_triage) for c in CAUSE_IDS])


def assess_batch(columns: Columns, model: ReadableModel | None = None) -> Decisions:
    """Decide every case of a batch of columns. The single decision path of backclf."""
    model = model or load_model()
    x = model.encode(columns)
    proba = model.predict_proba(x)
    chosen = proba.argmax(axis=1)
    abstained = proba[np.arange(len(x)), chosen] < model.abstain_below

    rules = rule_set()
    fired = rules.fired(columns)
    rule_rank = rules.rank(fired)
    considered = proba >= model.consider_above
    considered[np.arange(len(x)), chosen] = True
    model_rank = np.where(considered, _cause_default_ranks()[None, :], 0).max(axis=1)
    level = np.maximum(rule_rank, model_rank)
    overridden = fired.any(axis=1) & (rule_rank >= model_rank)
    return Decisions(proba, chosen, abstained, fired, level, overridden, x, model)


def assess_many(cases: Sequence[Case], model: ReadableModel | None = None) -> list[Assessment]:
    """Assess validated cases; the same result as :func:`assess` on each, in order."""
    columns = from_cases(cases)
    model = model or load_model()
    decisions = assess_batch(columns, model)
    from backclf.contract.assessment import Assessment

    return [Assessment.model_validate(r) for r in records(decisions, columns, model)]


def assess(case: Case, model: ReadableModel | None = None) -> Assessment:
    """Assess one validated case."""
    return assess_many([case], model)[0]


# -- From decisions to the contract's records ------------------------------------------------


@dataclass(frozen=True)
class _Texts:
    rules: list[dict[str, Any]]
    causes: list[dict[str, Any]]
    names: list[str]
    general: list[str]
    disclaimer: str
    model_info: dict[str, str]


@cache
def _texts(model: ReadableModel) -> _Texts:
    article = knowledge.article()
    rules = [
        {
            "id": r.id,
            "level": r.level,
            "message": r.message,
            "source": r.source,
            "suspect": r.suspect,
        }
        for r in rule_set().rules
    ]
    causes = [{"cause": " ".join(c.advice), "medication": c.medication} for c in article.causes]
    general = [article.infection_rule, article.seek_care, *article.daily_life]
    version = str((model.raw or {}).get("version", __version__))
    return _Texts(
        rules,
        causes,
        [c.name for c in article.causes],
        general,
        article.disclaimer,
        {"kind": model.kind, "version": version, "sha256": model.sha256},
    )


def records(
    decisions: Decisions,
    columns: Columns,
    model: ReadableModel,
    ids: Sequence[Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """The assessments of a batch as JSON-ready dicts, in the shape of the contract."""
    texts = _texts(model)
    rule_ranks = rule_set().ranks
    order = np.argsort(-decisions.proba, axis=1, kind="stable").tolist()
    probability = np.round(decisions.proba, 4).tolist()
    explanations = _explanations(decisions, columns, model.features)
    any_fired = decisions.fired.any(axis=1).tolist()
    levels = [TRIAGE_LEVELS[r] for r in decisions.level.tolist()]
    overridden = decisions.overridden.tolist()
    chosen_all = decisions.chosen.tolist()
    abstained_all = decisions.abstained.tolist()
    for i in range(len(decisions)):
        red_flags = []
        if any_fired[i]:
            fired = np.flatnonzero(decisions.fired[i])
            fired = fired[np.argsort(-rule_ranks[fired], kind="stable")]
            red_flags = [texts.rules[j] for j in fired]
        p = probability[i]
        differential = [
            {"id": CAUSE_IDS[k], "name": texts.names[k], "probability": p[k]} for k in order[i]
        ]
        chosen = chosen_all[i]
        abstained = abstained_all[i]
        advice = texts.causes[chosen]
        yield {
            "schema_version": SCHEMA_VERSION,
            "id": None if ids is None else ids[i],
            "triage": {
                "level": levels[i],
                "overridden": overridden[i],
            },
            "red_flags": red_flags,
            "cause": None if abstained else differential[0],
            "abstained": abstained,
            "differential": differential,
            "explanation": explanations[i],
            "advice": {
                "urgent": [r["message"] for r in red_flags],
                "cause": None if abstained else advice["cause"],
                "medication": None if abstained else advice["medication"],
                "general": texts.general,
                "disclaimer": texts.disclaimer,
            },
            "model": texts.model_info,
        }


def _decoded(columns: Columns, finding: str) -> list[Any]:
    """A whole column as contract values (``None`` for unknown)."""
    spec = FIELDS[finding]
    col = columns[finding]
    if spec.kind == "bool":
        table = [None, False, True]  # codes -1, 0, 1
        return [table[c + 1] for c in col.tolist()]
    if spec.kind == "enum":
        table = [None, *spec.values]
        return [table[c + 1] for c in col.tolist()]
    values = col.tolist()
    if spec.kind == "int":
        return [None if v != v else int(v) for v in values]  # v != v: NaN
    return [None if v != v else v for v in values]


def _explanations(decisions: Decisions, columns: Columns, features) -> list[list[dict]]:
    """Per case, the present findings with the largest effects on the chosen cause."""
    effects = decisions.effects
    strength = np.where((decisions.x > 0) & (np.abs(effects) >= 0.005), np.abs(effects), -1.0)
    k = min(EXPLANATION_SIZE, strength.shape[1])
    top = np.argsort(-strength, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(decisions))[:, None]
    count = (strength[rows, top] > 0).sum(axis=1).tolist()
    rounded = np.round(effects[rows, top], 3).tolist()
    top = top.tolist()
    decoded = {f: _decoded(columns, f) for f in {feature.finding for feature in features}}
    names = [(feature.finding, feature.name) for feature in features]
    values = [decoded[feature.finding] for feature in features]
    out = []
    for i in range(len(decisions)):
        items = []
        for j, effect in zip(top[i][: count[i]], rounded[i], strict=False):
            finding, name = names[j]
            items.append(
                {"finding": finding, "value": values[j][i], "feature": name, "effect": effect}
            )
        out.append(items)
    return out
