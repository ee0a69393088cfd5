"""From decisions to the contract's assessment records (JSON-ready dicts).

One record per case, in the shape of :class:`backclf.contract.assessment.Assessment`: the
triage, the red flags, the cause and differential, the explanation (the present findings
that pushed the chosen cause most), the article's advice, the model that decided, and the
questions to ask next. Built without pydantic (a batch of 100,000 is encoded straight to JSON
Lines); the test suite validates records against the model.

The advice never contradicts the triage (``knowledge/guidance.yaml`` holds every reason and
note, with its source):

- a red flag at ``consultation_24`` or above withholds the article's home-care advice and
  medicines (``advice.cause``, ``advice.medication`` and ``advice.also_consider`` are empty,
  ``advice.withheld`` says why, and ``advice.general`` keeps only the article's care-seeking
  sentences);
- otherwise the article's medicines are withheld when the person is pregnant or under 18,
  with the reason (and the article's sentences that name them, since its words are never
  cut), and a woman who may be pregnant is told not to use them without advice;
- a cause the model considers (probability at least ``consider_above``) that raised the
  triage above the likely cause's level (pyelonephritis) has its advice shown too;
- sourced notes follow the article's words where current guidance differs ("rest in bed").

There are few distinct advice blocks, so each is built once and shared by every record that
needs it (records are never mutated after they are built).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from backclf import SCHEMA_VERSION, __version__, knowledge
from backclf.contract.columns import UNKNOWN, Columns, decoded
from backclf.contract.fields import FIELDS
from backclf.core.decisions import Decisions
from backclf.core.model import ReadableModel
from backclf.core.questions import QuestionWriter
from backclf.core.red_flags import rule_set
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

EXPLANATION_SIZE = 6
#: An effect smaller than this is not worth showing as a reason.
EXPLANATION_MIN_EFFECT = 0.005


#: Ranks at or above this withhold the article's advice when a red flag sets them.
URGENT_RANK = TRIAGE_LEVELS.index("consultation_24")
_ADULT_AGE = 18
_FEMALE = FIELDS["sex"].values.index("female")


@dataclass(frozen=True)
class _Texts:
    """The fixed parts of every record, built once per model."""

    rules: list[dict[str, Any]]
    names: list[str]
    disclaimer: str
    model_info: dict[str, str]
    advice: _AdviceBlocks


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
    return _Texts(
        rules,
        [c.name for c in article.causes],
        article.disclaimer,
        {"kind": model.kind, "version": model.version or __version__, "sha256": model.sha256},
        _AdviceBlocks(article.disclaimer),
    )


class AdviceCase(NamedTuple):
    """What a case's advice block depends on (the key of the shared blocks)."""

    cause: int | None
    red_flag: bool
    pregnant: bool
    under_18: bool
    caution: bool
    also: tuple[int, ...]


class _AdviceBlocks:
    """Every distinct ``advice`` block, built on first use and shared between records.

    A block is decided by: the likely cause (or none when abstaining), whether a red flag at
    ``consultation_24`` or above fired, why medicines are withheld (pregnant, under 18), the
    may-be-pregnant caution, and which other considered causes raised the triage.
    """

    def __init__(self, disclaimer: str):
        article = knowledge.article()
        guidance = knowledge.guidance()
        self._article = article
        self._guidance = guidance
        self._disclaimer = disclaimer
        self._general = [article.infection_rule, article.seek_care, *article.daily_life]
        self._care_seeking = [article.infection_rule, article.seek_care]
        self._blocks: dict[AdviceCase, dict[str, Any]] = {}

    def get(self, urgent: list[str], case: AdviceCase) -> dict[str, Any]:
        """The advice block; ``urgent`` (the fired rules' messages) is the only per-case part."""
        block = self._blocks.get(case)
        if block is None:
            block = self._blocks[case] = self._build(*case)
        if not urgent:
            return block
        return {"urgent": urgent, **{k: v for k, v in block.items() if k != "urgent"}}

    def _build(
        self,
        cause: int | None,
        red_flag: bool,
        pregnant: bool,
        under_18: bool,
        caution: bool,
        also: tuple[int, ...],
    ) -> dict[str, Any]:
        withheld = self._guidance.withheld
        reasons = []
        if red_flag:
            reasons.append(("red_flag", withheld.red_flag))
        else:
            if pregnant:
                reasons.append(("pregnant", withheld.pregnant))
            if under_18:
                reasons.append(("under_18", withheld.under_18))
        no_medicines = bool(reasons)
        shown = [] if red_flag or cause is None else [cause]
        advice, medication = (None, None)
        if shown:
            advice, medication = self._cause_advice(cause, no_medicines)
        also_consider = []
        for k in () if red_flag else also:
            text, medicine = self._cause_advice(k, no_medicines)
            also_consider.append(
                {
                    "cause": CAUSE_IDS[k],
                    "name": self._article.causes[k].name,
                    "advice": text,
                    "medication": medicine,
                }
            )
            shown.append(k)
        notes = [
            {"id": note.id, "text": note.text, "source": note.source}
            for note in self._guidance.notes
            if any(
                CAUSE_IDS[k] in note.after_causes and self._cause_advice(k, no_medicines)[0]
                for k in shown
            )
        ]
        names_medicines = any(self._article.causes[k].medication for k in shown)
        if caution and not no_medicines and names_medicines:
            may_be = self._guidance.may_be_pregnant
            notes.append({"id": "may_be_pregnant", "text": may_be.text, "source": may_be.source})
        return {
            "urgent": [],
            "cause": advice,
            "medication": medication,
            "also_consider": also_consider,
            "withheld": [
                {"id": rid, "withholds": r.withholds, "reason": r.text, "source": r.source}
                for rid, r in reasons
            ],
            "notes": notes,
            "general": self._care_seeking if red_flag else self._general,
            "disclaimer": self._disclaimer,
        }

    def _cause_advice(self, k: int, no_medicines: bool) -> tuple[str | None, str | None]:
        """The article's advice and medicines for cause ``k``; without medicines, the
        sentences that name them are left out whole (the article's words are never cut)."""
        cause = self._article.causes[k]
        if not no_medicines:
            return " ".join(cause.advice), cause.medication
        kept = [s for s in cause.advice if s != cause.medication]
        return (" ".join(kept) or None), None


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
    red_flag_all = (decisions.fired & (rule_ranks >= URGENT_RANK)[None, :]).any(axis=1).tolist()
    pregnant_all, under_18_all, caution_all = _medicine_flags(decisions.columns)
    also_all = _also_considered(decisions)
    blocks = texts.advice
    policy = model.file.interview
    next_questions = QuestionWriter(decisions.plan, policy.listed if policy else 1)
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
        advice = blocks.get(
            [r["message"] for r in red_flags],
            AdviceCase(
                None if abstained else chosen_all[i],
                red_flag_all[i],
                pregnant_all[i],
                under_18_all[i],
                caution_all[i],
                also_all[i],
            ),
        )
        record = {
            "schema_version": SCHEMA_VERSION,
            "id": None if ids is None else ids[i],
            "triage": {"level": levels[i], "overridden": overridden[i]},
            "red_flags": red_flags,
            "cause": None if abstained else differential[0],
            "abstained": abstained,
            "differential": differential,
            "explanation": explanations[i],
            "advice": advice,
            "model": texts.model_info,
            "next_questions": next_questions(i),
        }
        if i in decisions.conflicts:
            record["conflicts"] = decisions.conflicts[i]
        yield record


def _medicine_flags(columns: Columns) -> tuple[list[bool], list[bool], list[bool]]:
    """Per case: pregnant; under 18; and a woman whose pregnancy is not known and who may be
    of child-bearing age (her age unknown or within the caution's ages)."""
    age = columns["age"]
    low, high = knowledge.guidance().may_be_pregnant.ages
    with np.errstate(invalid="ignore"):
        under_18 = age < _ADULT_AGE
        of_age = np.isnan(age) | ((age >= low) & (age <= high))
    pregnant = columns["pregnant"] == 1
    caution = (columns["sex"] == _FEMALE) & (columns["pregnant"] == UNKNOWN) & of_age
    return pregnant.tolist(), under_18.tolist(), caution.tolist()


@cache
def _default_ranks() -> np.ndarray:
    article = knowledge.article()
    return np.array([TRIAGE_LEVELS.index(article.cause(c).default_triage) for c in CAUSE_IDS])


def _also_considered(decisions: Decisions) -> list[tuple[int, ...]]:
    """Per case, the other causes the model considers (probability at least
    ``consider_above``) whose own triage level is above the likely cause's: the ones that
    raised the triage, whose advice is shown too."""
    ranks = _default_ranks()
    raised = (decisions.proba >= decisions.model.consider_above) & (
        ranks[None, :] > ranks[decisions.chosen][:, None]
    )
    rows = np.flatnonzero(raised.any(axis=1))
    out: list[tuple[int, ...]] = [()] * len(decisions)
    for i in rows.tolist():
        out[i] = tuple(np.flatnonzero(raised[i]).tolist())
    return out


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
