"""From decisions to the contract's assessment records (JSON-ready dicts).

One record per case, in the shape of :class:`backclf.contract.assessment.Assessment`: the
triage, the red flags, the cause and differential, the explanation (the present findings
that pushed the chosen cause most), the article's advice and the model that decided. Built
without pydantic (a batch of 100,000 is encoded straight to JSON Lines); the test suite
validates records against the model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from backclf import SCHEMA_VERSION, __version__, knowledge
from backclf.contract.columns import decoded
from backclf.core.decisions import Decisions
from backclf.core.model import ReadableModel
from backclf.core.red_flags import rule_set
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

EXPLANATION_SIZE = 6
#: An effect smaller than this is not worth showing as a reason.
EXPLANATION_MIN_EFFECT = 0.005


@dataclass(frozen=True)
class _Texts:
    """The fixed parts of every record, built once per model."""

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
    return _Texts(
        rules,
        causes,
        [c.name for c in article.causes],
        general,
        article.disclaimer,
        {"kind": model.kind, "version": model.version or __version__, "sha256": model.sha256},
    )


def records(decisions: Decisions, ids: Sequence[Any] | None = None) -> Iterator[dict[str, Any]]:
    """The assessments of a batch as JSON-ready dicts, in the shape of the contract."""
    model = decisions.model
    texts = _texts(model)
    rule_ranks = rule_set().ranks
    order = np.argsort(-decisions.proba, axis=1, kind="stable").tolist()
    probability = np.round(decisions.proba, 4).tolist()
    explanations = _explanations(decisions)
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
        abstained = abstained_all[i]
        advice = texts.causes[chosen_all[i]]
        yield {
            "schema_version": SCHEMA_VERSION,
            "id": None if ids is None else ids[i],
            "triage": {"level": levels[i], "overridden": overridden[i]},
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


def _explanations(decisions: Decisions) -> list[list[dict]]:
    """Per case, the present findings with the largest effects on the chosen cause."""
    features = decisions.model.features
    effects = decisions.effects
    strength = np.where(
        (decisions.x > 0) & (np.abs(effects) >= EXPLANATION_MIN_EFFECT), np.abs(effects), -1.0
    )
    k = min(EXPLANATION_SIZE, strength.shape[1])
    top = np.argsort(-strength, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(decisions))[:, None]
    count = (strength[rows, top] > 0).sum(axis=1).tolist()
    rounded = np.round(effects[rows, top], 3).tolist()
    top = top.tolist()
    findings = {feature.finding for feature in features}
    values_of = {f: decoded(decisions.columns, f) for f in findings}
    names = [(feature.finding, feature.name) for feature in features]
    values = [values_of[feature.finding] for feature in features]
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
