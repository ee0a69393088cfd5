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
from itertools import compress
from typing import Any

import numpy as np

from backclf import SCHEMA_VERSION, __version__, knowledge
from backclf.core import record_parts as parts
from backclf.core.advice import URGENT_RANK, AdviceBlocks, AdviceCase, explanation, person_flags
from backclf.core.decisions import Decisions
from backclf.core.encoded import Encoded
from backclf.core.model import ReadableModel
from backclf.core.questions import QuestionWriter
from backclf.core.red_flags import rule_set
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS


@dataclass(frozen=True)
class _Texts:
    """The fixed parts of every record, built once per model."""

    rules_by_urgency: list[dict[str, Any]]  # the rules' records, most urgent first
    rules_encoded: list[Encoded]  # the same, encoded
    disclaimer: str
    model_info: dict[str, str]
    model_encoded: Encoded
    advice: AdviceBlocks


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
    by_urgency = [rules[j] for j in _most_urgent_first().tolist()]
    model_info = {"kind": model.kind, "version": model.version or __version__,
                  "sha256": model.sha256}
    return _Texts(
        by_urgency,
        [Encoded.of(r) for r in by_urgency],
        article.disclaimer,
        model_info,
        Encoded.of(model_info),
        AdviceBlocks(article.disclaimer),
    )


def records(
    decisions: Decisions, ids: Sequence[Any] | None = None, lean: bool = False,
    encoded: bool = False,
) -> Iterator[dict[str, Any]]:
    """The assessments of a batch as JSON-ready dicts, in the shape of the contract (``lean``:
    ``next_questions`` without the questions' fixed wording, see
    :func:`backclf.core.questions.question_wording`; ``encoded``: the parts shared between
    records as :class:`~backclf.core.encoded.Encoded` bytes, for the JSON Lines encoder only)."""
    texts = _texts(decisions.model)
    abstained_all = decisions.abstained.tolist()
    differentials, causes, explanations = parts.per_case(decisions, abstained_all, encoded)
    levels = [TRIAGE_LEVELS[r] for r in decisions.level.tolist()]
    overridden = decisions.overridden.tolist()
    setters = _level_setters(decisions)
    unusual_all = _unusual(decisions).tolist()
    blocks = texts.advice
    plan = decisions.plan
    screened_all = (~(plan.checklist.any(axis=1) | plan.follow_up.any(axis=1))).tolist()
    policy = decisions.model.file.interview
    next_questions = QuestionWriter(plan, policy.listed if policy else 1, lean, encoded)
    model_info = texts.model_encoded if encoded else texts.model_info
    conflicts = decisions.conflicts
    rules = texts.rules_by_urgency
    fired = _fired_rules(decisions, rules, texts.rules_encoded if encoded else rules)
    advice_cases = _advice_cases(decisions, abstained_all)
    rows = zip(fired, advice_cases, strict=True)
    for i, ((red_flags, shown_flags), advice_case) in enumerate(rows):
        if red_flags or setters[i] or unusual_all[i]:
            urgent, also_tell = _messages(red_flags, levels[i], setters[i], unusual_all[i])
            advice = blocks.get(urgent, also_tell, advice_case)
        else:  # nothing to add to the shared block
            advice = blocks.encoded(advice_case) if encoded else blocks.get([], [], advice_case)
        record = {
            "schema_version": SCHEMA_VERSION,
            "id": None if ids is None else ids[i],
            "triage": {
                "level": levels[i],
                "overridden": overridden[i],
                "screened": screened_all[i],
            },
            "unusual": unusual_all[i],
            "red_flags": shown_flags,
            "cause": causes[i],
            "abstained": abstained_all[i],
            "differential": differentials[i],
            "explanation": explanations[i],
            "advice": advice,
            "model": model_info,
            "next_questions": next_questions(i),
        }
        if i in conflicts:
            record["conflicts"] = conflicts[i]
        yield record


def _advice_cases(decisions: Decisions, abstained: list[bool]) -> Iterator[AdviceCase]:
    """Per case, what its advice block depends on."""
    chosen = decisions.chosen.tolist()
    red_flag = (decisions.fired & _urgent_rules()).any(axis=1).tolist()
    person = person_flags(decisions.columns, decisions.level, decisions.infection_sign)
    causes = [None if a else c for a, c in zip(abstained, chosen, strict=True)]
    given = {"cause": causes, "red_flag": red_flag, "also": _also_considered(decisions), **person}
    defaults = AdviceCase._field_defaults
    fields = [given[f] if f in given else [defaults[f]] * len(causes) for f in AdviceCase._fields]
    return map(AdviceCase._make, zip(*fields, strict=True))


@cache
def _urgent_rules() -> np.ndarray:
    """``(1, R)``: the rules at ``consultation_24`` or above."""
    return (rule_set().ranks >= URGENT_RANK)[None, :]


@cache
def _most_urgent_first() -> np.ndarray:
    """The rules' indices, most urgent first (ties in the rule set's order)."""
    return np.argsort(-rule_set().ranks, kind="stable")


def _fired_rules(
    decisions: Decisions, ordered: list[dict[str, Any]], shown: list[Any]
) -> Iterator[tuple[list[dict[str, Any]], list[Any]]]:
    """Per case, the fired rules' records (``ordered``: every rule's, most urgent first) and
    the same rules as the record shows them (``shown``, in the same order): most urgent
    first, ties in the rule set's order (one order for every case, so each case's rules are
    that order's fired ones)."""
    fired = decisions.fired[:, _most_urgent_first()]
    for any_fired, i in zip(fired.any(axis=1).tolist(), range(len(fired)), strict=True):
        if not any_fired:
            yield [], []
            continue
        row = fired[i].tolist()
        rules = list(compress(ordered, row))
        yield rules, rules if shown is ordered else list(compress(shown, row))


def _unusual(decisions: Decisions) -> np.ndarray:
    if decisions.unusual is None:
        return np.zeros(len(decisions), dtype=bool)
    return decisions.unusual


def _level_setters(decisions: Decisions) -> list[str]:
    """Per case, what set the triage level when no rule reached it: ``"model"`` (a likely
    kidney infection), ``"unusual"`` (the floor of a presentation unlike the article's
    causes), or ``""`` (a rule, or nothing above self-care)."""
    rule_rank = rule_set().rank(decisions.fired)
    model_rank = np.zeros(len(decisions), dtype=np.int64)
    if decisions.raised is not None:
        model_rank = np.where(decisions.raised, _default_ranks()[None, :], 0).max(axis=1)
    level = decisions.level
    model_set = (model_rank == level) & (rule_rank < level) & (level > 0)
    floor_set = ~model_set & _unusual(decisions) & (rule_rank < level) & (level > 0)
    return np.where(model_set, "model", np.where(floor_set, "unusual", "")).tolist()


def _messages(
    red_flags: list[dict[str, Any]], level: str, setter: str, unusual: bool
) -> tuple[list[str], list[str]]:
    """``advice.urgent`` (the instructions of the triage level) and ``advice.also_tell``
    (lower rules' messages without their instruction: what to tell the doctor)."""
    guidance = knowledge.guidance()
    urgent = [r["message"] for r in red_flags if r["level"] == level]
    also_tell = [explanation(r["message"]) for r in red_flags if r["level"] != level]
    if setter == "model":
        urgent.insert(0, guidance.model_level.pyelonephritis)
    elif setter == "unusual":
        urgent.insert(0, guidance.unusual.urgent)
    elif unusual:
        also_tell.append(explanation(guidance.unusual.urgent))
    return urgent, also_tell


@cache
def _default_ranks() -> np.ndarray:
    article = knowledge.article()
    return np.array([TRIAGE_LEVELS.index(article.cause(c).default_triage) for c in CAUSE_IDS])


def _also_considered(decisions: Decisions) -> list[tuple[int, ...]]:
    """Per case, the other causes that raised the triage (the model considers them on the
    reading of :mod:`backclf.core.escalation`) whose own triage level is above the likely
    cause's: their advice is shown too."""
    ranks = _default_ranks()
    considered = (
        decisions.raised
        if decisions.raised is not None
        else decisions.proba >= decisions.model.consider_above
    )
    raised = considered & (ranks[None, :] > ranks[decisions.chosen][:, None])
    rows = np.flatnonzero(raised.any(axis=1))
    out: list[tuple[int, ...]] = [()] * len(decisions)
    for i in rows.tolist():
        out[i] = tuple(np.flatnonzero(raised[i]).tolist())
    return out
