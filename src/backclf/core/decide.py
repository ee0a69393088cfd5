"""The one decision path: findings in, assessment out.

:func:`assess_batch` is the only place where a decision is made: red-flag rules, the model's
differential, abstention and triage. :func:`assess` (one case), :func:`assess_many` (a
list), the command line (flags, JSON Lines, tables, text), the MLflow model and any server
are adapters around it, so the red-flag override cannot be bypassed. No argument, option or
environment variable turns the rules off. The assessment records (explanation, advice) are
built from its decisions in :mod:`backclf.core.records`.

Triage is the most urgent of (a) every red flag that fires, (b) the model's level: the
article's default for every cause whose probability reaches ``consider_above`` (so a likely
infection is not missed because a mechanical cause is a little likelier), read so that no red
flag can lower it (:mod:`backclf.core.escalation`), and (c) the floor of a presentation unlike
all of the article's causes (:mod:`backclf.core.typicality`). Each part is monotone in every
red flag, so adding a finding that fires a rule, or a "yes" to a checklist item, never lowers
the triage (one documented exception: pain down both legs known to be two weeks old or more,
red_flags.yaml). A cause is named only when the triage reaches its own level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from backclf import knowledge
from backclf.contract.columns import Columns, from_values, resolve
from backclf.contract.fields import FIELDS
from backclf.core.conditions import small_batch_values
from backclf.core.decisions import Decisions
from backclf.core.escalation import model_levels
from backclf.core.model import ReadableModel, load_model
from backclf.core.red_flags import infection_sign, rule_set
from backclf.core.typicality import unusual
from backclf.knowledge import CAUSE_IDS, TRIAGE_LEVELS

if TYPE_CHECKING:  # the output models are built only where a typed result is asked for
    from backclf.contract.assessment import Assessment
    from backclf.contract.findings import Case


@cache
def _cause_default_ranks() -> np.ndarray:
    article = knowledge.article()
    return np.array([TRIAGE_LEVELS.index(article.cause(c).default_triage) for c in CAUSE_IDS])


def assess_batch(
    columns: Columns,
    model: ReadableModel | None = None,
    asked: Mapping[str, np.ndarray] | None = None,
    from_text: Mapping[str, np.ndarray] | None = None,
) -> Decisions:
    """Decide every case of a batch of columns. The single decision path of backclf.

    ``asked[f]`` marks the cases that answered finding ``f`` "don't know" (an explicit
    ``null``): the decision is the same as for an absent finding, but the finding is not
    asked again. ``from_text[f]`` marks values read from free text rather than given. Both
    only shape ``next_questions``."""
    model = model or load_model()
    columns = dict(columns)
    conflicts = resolve(columns)  # e.g. 38.0 C or more is fever, whatever else was answered
    values = small_batch_values(columns)  # a small batch's findings as one matrix (or None)
    x = model.encode(columns, values)
    proba = model.predict_proba(x)
    chosen = proba.argmax(axis=1)
    abstained = proba[np.arange(len(x)), chosen] < model.abstain_below

    rules = rule_set()
    fired = rules.fired(columns, values)
    rule_rank = rules.rank(fired)
    model_rank, raised = model_levels(model, columns, x, proba, values)
    odd, floor_rank = unusual(model, columns, values)
    others = np.maximum(model_rank, floor_rank)
    level = np.maximum(rule_rank, others)
    overridden = fired.any(axis=1) & (rule_rank >= others)
    # A cause that needs more care than the triage reached is not named (rare: the model's
    # level reads the case without the findings that could lower it); nor is a kidney
    # infection without any of its signs (the label must not outrun the findings), nor any
    # cause in a presentation unlike all of them.
    urgent_cause = _cause_default_ranks()[chosen] > 0
    abstained |= odd | (_cause_default_ranks()[chosen] > level)
    signs = infection_sign(columns, values)
    abstained |= urgent_cause & ~signs
    asked = {f: np.asarray(m, dtype=bool) for f, m in (asked or {}).items()}
    read = {f: np.asarray(m, dtype=bool) for f, m in (from_text or {}).items()}
    return Decisions(
        proba,
        chosen,
        abstained,
        fired,
        level,
        overridden,
        x,
        model,
        columns,
        asked,
        read,
        conflicts=conflicts,
        raised=raised,
        unusual=odd,
        values=values,
        infection_sign=signs,
    )


def assess_many(
    cases: Sequence[Case | Mapping[str, Any]], model: ReadableModel | None = None
) -> list[Assessment]:
    """Assess cases (:class:`Case` objects, or mappings of findings checked by the contract's
    rules); the same result as :func:`assess` on each, in order. In a mapping, a finding
    given as ``None`` was asked and the person does not know."""
    from backclf.contract.assessment import Assessment
    from backclf.core.records import records

    findings = [c if isinstance(c, Mapping) else c.known() for c in cases]
    columns = from_values(findings)
    model = model or load_model()
    decisions = assess_batch(columns, model, dont_know_masks(findings))
    return [Assessment.model_validate(r) for r in records(decisions)]


def dont_know_masks(findings: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """The "don't know" answers (explicit ``None``) of cases given as mappings, per finding."""
    return finding_masks([[k for k, v in case.items() if v is None] for case in findings])


def finding_masks(names: Sequence[Iterable[str]]) -> dict[str, np.ndarray]:
    """Per finding, the cases (of ``len(names)``) that name it."""
    masks: dict[str, np.ndarray] = {}
    for i, case in enumerate(names):
        for name in case:
            if name in FIELDS:
                masks.setdefault(name, np.zeros(len(names), dtype=bool))[i] = True
    return masks


def assess(case: Case | Mapping[str, Any], model: ReadableModel | None = None) -> Assessment:
    """Assess one case."""
    return assess_many([case], model)[0]
